/* fpmatch: the C API (C99). A thin, stable layer over the C++ library for
 * hosts in any language.
 *
 * Conventions:
 *   - Opaque handles (fpm_template, fpm_gallery, fpm_engine), created by
 *     *_create / *_decode / *_load and released by *_destroy, which accepts
 *     NULL. A handle used after its destroy is detected and refused with
 *     FPM_E_INVALID_HANDLE (a destroyed address handed out again later
 *     belongs to the new object). A live handle of another kind (a gallery
 *     where a template is expected) is refused with FPM_E_WRONG_HANDLE_KIND,
 *     and a *_destroy of the wrong kind does nothing.
 *   - Every call that can fail returns an fpm_status (FPM_OK = 0); the
 *     values below are frozen. fpm_last_error() gives a message for the
 *     last failure in the calling thread.
 *   - Outputs go to caller-provided memory with its capacity; a too-small
 *     buffer is FPM_E_BUFFER_TOO_SMALL, with the size needed reported where
 *     the function says so. Nothing is written to outputs of a failed call
 *     unless stated. Sizes whose product (count * capacity elements, and
 *     those elements' bytes) does not fit in size_t are refused with
 *     FPM_E_INVALID_ARGUMENT before anything is written.
 *   - Threads: options.threads is 0 (all cores) to 1024; more is
 *     FPM_E_INVALID_ARGUMENT; threads the system cannot start make the
 *     engine call fail with FPM_E_OUT_OF_MEMORY (no engine is made).
 *   - Option structs are initialised with their *_init function, so that
 *     fields added later get defaults.
 *   - Handles may be used from several threads when each thread uses its own
 *     template handles; an engine may be searched from several threads at once.
 */
#ifndef FPMATCH_H
#define FPMATCH_H

#include <stddef.h>
#include <stdint.h>

#include "fpmatch/export.h"
#include "fpmatch/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status ------------------------------------------------------------ */
typedef enum fpm_status {
  FPM_OK = 0,
  FPM_E_INVALID_ARGUMENT = 1, /* a NULL pointer, a value out of its range */
  FPM_E_IO = 2,               /* a file could not be read or written */
  FPM_E_UNKNOWN_FORMAT = 3,   /* bytes that are no known template record */
  FPM_E_UNSUPPORTED_FORMAT = 4,
  FPM_E_TRUNCATED = 5,        /* record decoding errors 5-11: see docs/formats.md */
  FPM_E_LENGTH_MISMATCH = 6,
  FPM_E_COUNT_MISMATCH = 7,
  FPM_E_RESERVED_VALUE = 8,
  FPM_E_OUT_OF_RANGE = 9,
  FPM_E_NO_VIEWS = 10,
  FPM_E_SYNTAX = 11,
  FPM_E_INTERNAL = 12,        /* a bug in fpmatch; please report it */
  FPM_E_CORRUPT = 13,         /* a damaged or foreign gallery file */
  FPM_E_UNAVAILABLE = 14,     /* a backend not built or without a usable device (or whose device failed) */
  FPM_E_OUT_OF_MEMORY = 15,
  FPM_E_BUFFER_TOO_SMALL = 16,
  FPM_E_INVALID_HANDLE = 17,  /* NULL where a handle is needed, or a destroyed handle */
  FPM_E_WRONG_HANDLE_KIND = 18 /* a live handle of another kind (a gallery passed as a template) */
} fpm_status;

/* A short, constant name for a status ("ok", "truncated record", ...). */
FPM_API const char* fpm_status_string(fpm_status status);
/* The message of the last failed call in this thread ("" if none). Valid
 * until the next fpmatch call in this thread. */
FPM_API const char* fpm_last_error(void);

/* Version of the library loaded at run time ("0.1.0"; compare with the
 * FPM_VERSION_* macros of the header compiled against). */
FPM_API const char* fpm_version(void);
FPM_API int fpm_version_number(void);

/* ---- templates ----------------------------------------------------------- */
typedef struct fpm_template_s fpm_template;

typedef enum fpm_format {
  FPM_FORMAT_AUTO = 0,
  FPM_FORMAT_ISO2005 = 1,
  FPM_FORMAT_ISO2011 = 2,
  FPM_FORMAT_ANSI2004 = 3,
  FPM_FORMAT_ANSI2009 = 4,
  FPM_FORMAT_XYT = 5,
  FPM_FORMAT_AN2K = 6 /* ANSI/NIST-ITL transaction: decode only (Type-9 standard-format minutiae) */
} fpm_format;

typedef struct fpm_decode_options {
  int format;             /* fpm_format */
  int strict;             /* non-zero: refuse recoverable oddities */
  int xyt_m1;             /* non-zero: .xyt in the M1 convention (default: NIST) */
  uint16_t xyt_image_width, xyt_image_height;
  uint16_t assume_resolution_ppcm;
} fpm_decode_options;
FPM_API void fpm_decode_options_init(fpm_decode_options* options);

/* How many finger views a record holds. options may be NULL (defaults). */
FPM_API fpm_status fpm_record_views(const uint8_t* data, size_t size, const fpm_decode_options* options,
                                    size_t* views);
/* Decodes view `view` of a record into a new template handle. */
FPM_API fpm_status fpm_template_decode(const uint8_t* data, size_t size, const fpm_decode_options* options,
                                       size_t view, fpm_template** out);
/* Same, from a file. */
FPM_API fpm_status fpm_template_load(const char* path, const fpm_decode_options* options, size_t view,
                                     fpm_template** out);
FPM_API void fpm_template_destroy(fpm_template* t);

typedef struct fpm_template_info {
  size_t minutiae;
  int position;        /* finger position 0-10 */
  int width, height;   /* canonical 500 ppi pixels; 0 = unknown */
  int quality;         /* finger quality 0-100 */
} fpm_template_info;
FPM_API fpm_status fpm_template_get_info(const fpm_template* t, fpm_template_info* info);

/* Encodes the template as a one-view record (FPM_FORMAT_ISO2005,
 * FPM_FORMAT_ANSI2004 or FPM_FORMAT_XYT). *size receives the bytes needed;
 * buffer may be NULL to ask for the size (then FPM_E_BUFFER_TOO_SMALL). */
FPM_API fpm_status fpm_template_encode(const fpm_template* t, int format, uint8_t* buffer, size_t capacity,
                                       size_t* size);

/* ---- 1:1 and calibration ----------------------------------------------- */
/* Compares two templates: score in [0, 1] and, if fmr is not NULL, the false
 * match rate the score corresponds to (shipped calibration). */
FPM_API fpm_status fpm_verify(const fpm_template* a, const fpm_template* b, float* score, double* fmr);
/* Smallest threshold with estimated FMR <= fmr (FPM_E_OUT_OF_RANGE outside
 * what the calibration supports). */
FPM_API fpm_status fpm_threshold_for_fmr(double fmr, float* threshold);
/* The FMR a score corresponds to. A score above every calibration impostor
 * score gives 1/impostors, an upper bound (the rate is below it, not 0):
 * fpm_fmr_estimate also says so in *upper_bound (1) and may take NULL for
 * it. A NaN score is FPM_E_INVALID_ARGUMENT. */
FPM_API fpm_status fpm_false_match_rate(float score, double* fmr);
FPM_API fpm_status fpm_fmr_estimate(float score, double* fmr, int* upper_bound);

/* ---- galleries ----------------------------------------------------------- */
typedef struct fpm_gallery_s fpm_gallery;
FPM_API fpm_status fpm_gallery_create(fpm_gallery** out);
FPM_API fpm_status fpm_gallery_load(const char* path, fpm_gallery** out);
FPM_API fpm_status fpm_gallery_save(const fpm_gallery* g, const char* path);
FPM_API void fpm_gallery_destroy(fpm_gallery* g);
/* Adds a template under a subject id (1-255 bytes, no control characters:
 * none below 0x20, nor 0x7f); position -1 takes the
 * template's own finger position. *index (may be NULL) receives the entry. */
FPM_API fpm_status fpm_gallery_add(fpm_gallery* g, const char* subject, int position, const fpm_template* t,
                                   size_t* index);
FPM_API fpm_status fpm_gallery_remove(fpm_gallery* g, size_t index);
FPM_API fpm_status fpm_gallery_remove_subject(fpm_gallery* g, const char* subject, size_t* removed);
/* Entries (removed ones included), live entries, subjects; any may be NULL. */
FPM_API fpm_status fpm_gallery_counts(const fpm_gallery* g, size_t* entries, size_t* live, size_t* subjects);

/* ---- engines ------------------------------------------------------------- */
typedef struct fpm_engine_s fpm_engine;

typedef enum fpm_backend { FPM_BACKEND_AUTO = 0, FPM_BACKEND_CPU = 1, FPM_BACKEND_CUDA = 2 } fpm_backend;

typedef struct fpm_engine_options {
  int backend;         /* fpm_backend */
  int threads;         /* CPU threads, 0 = all cores, at most 1024 */
  const int* devices;  /* CUDA devices, NULL = device 0 */
  size_t device_count; /* entries of devices, at most 1024 */
} fpm_engine_options;
FPM_API void fpm_engine_options_init(fpm_engine_options* options);

/* An engine over a copy of `gallery` (the caller keeps its gallery). */
FPM_API fpm_status fpm_engine_create(const fpm_gallery* gallery, const fpm_engine_options* options, fpm_engine** out);
/* An engine over a gallery file, loaded without an intermediate copy. */
FPM_API fpm_status fpm_engine_load(const char* path, const fpm_engine_options* options, fpm_engine** out);
FPM_API void fpm_engine_destroy(fpm_engine* e);
FPM_API fpm_status fpm_engine_backend(const fpm_engine* e, int* backend);
/* Why an FPM_BACKEND_AUTO engine does not use every listed device (devices
 * left out after failing; on the CPU: CUDA not built, no usable device, too
 * little device memory, the last device failed), as a NUL-terminated
 * string; "" while every listed device serves and for FPM_BACKEND_CPU. *length
 * receives the string's length without the NUL, also with
 * FPM_E_BUFFER_TOO_SMALL (buffer NULL or capacity <= *length). */
FPM_API fpm_status fpm_engine_fallback_reason(const fpm_engine* e, char* buffer, size_t capacity, size_t* length);
FPM_API fpm_status fpm_engine_add(fpm_engine* e, const char* subject, int position, const fpm_template* t,
                                  size_t* index);
FPM_API fpm_status fpm_engine_remove(fpm_engine* e, size_t index);

typedef struct fpm_search_options {
  size_t top_k;     /* candidates per probe, >= 1 (default 10) */
  float min_score;  /* leave out candidates below (default 0); NaN is refused */
} fpm_search_options;
FPM_API void fpm_search_options_init(fpm_search_options* options);

#define FPM_SUBJECT_MAX 255
typedef struct fpm_candidate {
  size_t index;                        /* gallery entry */
  char subject[FPM_SUBJECT_MAX + 1];   /* NUL-terminated */
  int position;
  float score;
} fpm_candidate;

/* Searches `count` probes. Candidates of probe p go to
 * out[p * capacity .. p * capacity + found[p]), best first; capacity must be
 * at least options->top_k (else FPM_E_BUFFER_TOO_SMALL). */
FPM_API fpm_status fpm_engine_search(fpm_engine* e, const fpm_template* const* probes, size_t count,
                                     const fpm_search_options* options, fpm_candidate* out, size_t capacity,
                                     size_t* found);

typedef struct fpm_finger {
  const fpm_template* t;
  int position;  /* 0 = unknown: compared with every finger of a subject */
} fpm_finger;

typedef struct fpm_subject_candidate {
  char subject[FPM_SUBJECT_MAX + 1];
  float score;  /* mean over the probe's fingers of the best compatible score */
} fpm_subject_candidate;

/* Per-subject search: probe p is fingers[offset_p .. offset_p + fingers_per_probe[p]). */
FPM_API fpm_status fpm_engine_search_subjects(fpm_engine* e, const fpm_finger* fingers,
                                              const size_t* fingers_per_probe, size_t count,
                                              const fpm_search_options* options, fpm_subject_candidate* out,
                                              size_t capacity, size_t* found);

/* ---- identification decisions (docs/identification.md) ----------------- */
/* The FMR of a score from the shipped data and, below it, the fitted tail
 * model: continuous, never below 1e-12. NaN is FPM_E_INVALID_ARGUMENT. */
FPM_API fpm_status fpm_modelled_fmr(float score, double* fmr);
/* FPIR at a gallery of `subjects` subjects for a candidate of subject FMR
 * `fmr`: 1 - (1 - fmr)^subjects. fmr outside [0, 1] is FPM_E_INVALID_ARGUMENT. */
FPM_API fpm_status fpm_fpir_at(double fmr, size_t subjects, double* fpir);

typedef struct fpm_subject_decision {
  char subject[FPM_SUBJECT_MAX + 1];
  float score;         /* the mean rule's score, which ranks the candidates */
  double evidence;     /* sum over the probe's fingers of -ln(finger FMR) */
  double subject_fmr;  /* chance that a non-mated subject is this strong */
  double fpir;         /* at the gallery's subject count */
  int hit;             /* 1 when fpir <= the target */
} fpm_subject_decision;

/* Per-subject search (as fpm_engine_search_subjects) with a decision at
 * `target_fpir` in (0, 1): every candidate carries its evidence, and hit[p]
 * is 1 when some candidate of probe p is a hit. The library reports
 * evidence; acting on a hit is the caller's decision. */
FPM_API fpm_status fpm_engine_search_subjects_at_fpir(fpm_engine* e, const fpm_finger* fingers,
                                                      const size_t* fingers_per_probe, size_t count,
                                                      const fpm_search_options* options, double target_fpir,
                                                      fpm_subject_decision* out, size_t capacity, size_t* found,
                                                      int* hit);

#ifdef __cplusplus
}
#endif

#endif /* FPMATCH_H */
