/* The C API, compiled as C99: every public C header, every function,
 * including the error paths. Exit status 0 on success; each failure is
 * printed. Runs under ASan/UBSan in the sanitizer build. */
#include "fpmatch/export.h"
#include "fpmatch/fpmatch.h"
#include "fpmatch/version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, __LINE__, #cond, fpm_last_error()); \
      ++failures;                                                     \
    }                                                                 \
  } while (0)

/* A made-up finger as .xyt text (NIST convention), jittered per impression. */
static size_t make_xyt(char* buf, size_t cap, unsigned finger, unsigned impression) {
  size_t n = 0;
  unsigned s = finger * 7919u + 17u;
  for (int i = 0; i < 40; ++i) {
    s = s * 1103515245u + 12345u;
    int x = 40 + (int)((s >> 8) % 220u);
    s = s * 1103515245u + 12345u;
    int y = 40 + (int)((s >> 8) % 300u);
    s = s * 1103515245u + 12345u;
    int t = (int)((s >> 8) % 360u);
    int jx = (int)((i * 31 + impression * 7) % 5) - 2, jy = (int)((i * 17 + impression * 3) % 5) - 2;
    if (impression && i % 9 == (int)impression % 9) continue; /* a missed minutia */
    n += (size_t)snprintf(buf + n, cap - n, "%d %d %d 60\n", x + jx, y + jy, (t + (int)impression * 2) % 360);
  }
  return n;
}

static fpm_template* load_text(unsigned finger, unsigned impression) {
  char text[4096];
  const size_t n = make_xyt(text, sizeof text, finger, impression);
  fpm_decode_options o;
  fpm_decode_options_init(&o);
  o.format = FPM_FORMAT_XYT;
  o.xyt_image_height = 400;
  fpm_template* t = NULL;
  CHECK(fpm_template_decode((const uint8_t*)text, n, &o, 0, &t) == FPM_OK);
  return t;
}

int main(void) {
  /* Versions and statuses. */
  CHECK(strcmp(fpm_version(), FPM_VERSION_STRING) == 0);
  CHECK(fpm_version_number() == FPM_VERSION_NUMBER);
  CHECK(strcmp(fpm_status_string(FPM_OK), "ok") == 0);
  CHECK(strcmp(fpm_status_string(FPM_E_TRUNCATED), "truncated record") == 0);
  CHECK(strcmp(fpm_status_string(FPM_E_BUFFER_TOO_SMALL), "buffer too small") == 0);
  CHECK(strcmp(fpm_status_string(FPM_E_INVALID_HANDLE), "invalid handle") == 0);
  CHECK(strcmp(fpm_status_string((fpm_status)999), "unknown status") == 0);
  CHECK(FPM_E_CORRUPT == 13 && FPM_E_OUT_OF_MEMORY == 15); /* frozen values */

  /* Templates: decode, info, encode, round trip, errors. */
  fpm_template* a = load_text(1, 0);
  fpm_template* a2 = load_text(1, 1);
  fpm_template* b = load_text(2, 0);
  CHECK(a && a2 && b);
  fpm_template_info info;
  CHECK(fpm_template_get_info(a, &info) == FPM_OK);
  CHECK(info.minutiae == 40);
  CHECK(info.height == 400);
  size_t size = 0;
  CHECK(fpm_template_encode(a, FPM_FORMAT_ISO2005, NULL, 0, &size) == FPM_E_BUFFER_TOO_SMALL);
  CHECK(size == 24 + 4 + 40 * 6 + 2);
  uint8_t* rec = (uint8_t*)malloc(size);
  CHECK(fpm_template_encode(a, FPM_FORMAT_ISO2005, rec, size - 1, &size) == FPM_E_BUFFER_TOO_SMALL);
  CHECK(fpm_template_encode(a, FPM_FORMAT_ISO2005, rec, size, &size) == FPM_OK);
  size_t views = 0;
  CHECK(fpm_record_views(rec, size, NULL, &views) == FPM_OK && views == 1);
  fpm_template* back = NULL;
  CHECK(fpm_template_decode(rec, size, NULL, 0, &back) == FPM_OK);
  CHECK(fpm_template_decode(rec, size, NULL, 1, &back) == FPM_E_INVALID_ARGUMENT); /* no view 1 */
  CHECK(fpm_template_decode(rec, 20, NULL, 0, &back) == FPM_E_TRUNCATED);
  CHECK(strstr(fpm_last_error(), "record_length") != NULL);
  CHECK(fpm_template_encode(a, FPM_FORMAT_ISO2011, rec, size, &size) == FPM_E_INVALID_ARGUMENT);
  CHECK(fpm_template_encode(a, 77, rec, size, &size) == FPM_E_INVALID_ARGUMENT);
  free(rec);
  const uint8_t junk[] = {0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5, 6};
  fpm_template* none = NULL;
  CHECK(fpm_template_decode(junk, sizeof junk, NULL, 0, &none) == FPM_E_UNKNOWN_FORMAT);
  CHECK(none == NULL);
  CHECK(fpm_template_decode(NULL, 10, NULL, 0, &none) == FPM_E_INVALID_ARGUMENT);
  CHECK(fpm_template_decode(junk, sizeof junk, NULL, 0, NULL) == FPM_E_INVALID_ARGUMENT);
  fpm_decode_options bad_opt;
  fpm_decode_options_init(&bad_opt);
  bad_opt.format = 42;
  CHECK(fpm_template_decode(junk, sizeof junk, &bad_opt, 0, &none) == FPM_E_INVALID_ARGUMENT);
  CHECK(fpm_template_load("/nonexistent/file.ist", NULL, 0, &none) == FPM_E_IO);
  /* An ANSI/NIST-ITL transaction: Type-1, one Type-9 record (two minutiae). */
  const char an2k[] = "1.001:45" "\x1d" "1.002:0300" "\x1d" "1.003:1" "\x1f" "1" "\x1e" "9" "\x1f" "01" "\x1d" "1.004:CAR" "\x1c" "9.001:106" "\x1d" "9.002:01" "\x1d" "9.003:0" "\x1d" "9.004:S" "\x1d" "9.006:02" "\x1d" "9.010:2" "\x1d" "9.011:0" "\x1d" "9.012:001" "\x1f" "01320715248" "\x1f" "0" "\x1f" "A" "\x1e" "002" "\x1f" "02000300090" "\x1f" "5" "\x1f" "B" "\x1c" "";
  fpm_decode_options an2k_opt;
  fpm_decode_options_init(&an2k_opt);
  an2k_opt.format = FPM_FORMAT_AN2K;
  fpm_template* t9 = NULL;
  CHECK(fpm_template_decode((const uint8_t*)an2k, sizeof an2k - 1, &an2k_opt, 0, &t9) == FPM_OK);
  fpm_template_info t9_info;
  CHECK(fpm_template_get_info(t9, &t9_info) == FPM_OK && t9_info.minutiae == 2 && t9_info.position == 2);
  fpm_template_destroy(t9);
  CHECK(fpm_template_decode((const uint8_t*)an2k, 40, NULL, 0, &t9) == FPM_E_TRUNCATED);
  CHECK(fpm_template_get_info(NULL, &info) == FPM_E_INVALID_HANDLE);
  CHECK(fpm_template_get_info(a, NULL) == FPM_E_INVALID_ARGUMENT);

  /* 1:1 and calibration. */
  float same = 0, other = 0, thr = 0;
  double fmr = -1;
  CHECK(fpm_verify(a, a2, &same, &fmr) == FPM_OK);
  CHECK(fpm_verify(a, b, &other, NULL) == FPM_OK);
  CHECK(same > other);
  CHECK(fmr >= 0 && fmr <= 1);
  CHECK(fpm_threshold_for_fmr(0.001, &thr) == FPM_OK && thr > 0);
  CHECK(fpm_threshold_for_fmr(1e-9, &thr) == FPM_E_OUT_OF_RANGE);
  /* Above every calibration impostor: an upper bound, 1/impostors, never 0. */
  int bound = -1;
  CHECK(fpm_false_match_rate(1.0f, &fmr) == FPM_OK && fmr > 0.0 && fmr < 1e-3);
  CHECK(fpm_fmr_estimate(1.0f, &fmr, &bound) == FPM_OK && bound == 1 && fmr > 0.0);
  CHECK(fpm_fmr_estimate(0.0f, &fmr, &bound) == FPM_OK && bound == 0 && fmr == 1.0);
  CHECK(fpm_fmr_estimate(0.5f, &fmr, NULL) == FPM_OK);
  CHECK(fpm_fmr_estimate(0.5f, NULL, &bound) == FPM_E_INVALID_ARGUMENT);
  CHECK(fpm_false_match_rate(nanf(""), &fmr) == FPM_E_INVALID_ARGUMENT);
  CHECK(fpm_false_match_rate(0.5f, NULL) == FPM_E_INVALID_ARGUMENT);
  CHECK(fpm_verify(a, NULL, &same, NULL) == FPM_E_INVALID_HANDLE);

  /* Galleries. */
  fpm_gallery* g = NULL;
  CHECK(fpm_gallery_create(&g) == FPM_OK);
  size_t idx = 99;
  for (unsigned f = 1; f <= 6; ++f) {
    fpm_template* t = load_text(f, 0);
    char subject[32];
    snprintf(subject, sizeof subject, "person-%u", f);
    CHECK(fpm_gallery_add(g, subject, (int)(f % 3), t, &idx) == FPM_OK);
    fpm_template_destroy(t);
  }
  CHECK(idx == 5);
  CHECK(fpm_gallery_add(g, "", 1, a, NULL) == FPM_E_INVALID_ARGUMENT);
  CHECK(fpm_gallery_add(g, "x", 11, a, NULL) == FPM_E_INVALID_ARGUMENT);
  CHECK(fpm_gallery_add(g, NULL, 1, a, NULL) == FPM_E_INVALID_ARGUMENT);
  CHECK(fpm_gallery_add(g, "extra", -1, b, &idx) == FPM_OK);
  size_t entries = 0, live = 0, subjects = 0, removed = 0;
  CHECK(fpm_gallery_remove(g, idx) == FPM_OK);
  CHECK(fpm_gallery_remove(g, 1000) == FPM_E_INVALID_ARGUMENT);
  CHECK(fpm_gallery_remove_subject(g, "person-6", &removed) == FPM_OK && removed == 1);
  CHECK(fpm_gallery_counts(g, &entries, &live, &subjects) == FPM_OK);
  CHECK(entries == 7 && live == 5 && subjects == 5);
  const char* path = "fpm_c_api_test.fpg";
  CHECK(fpm_gallery_save(g, path) == FPM_OK);
  fpm_gallery* g2 = NULL;
  CHECK(fpm_gallery_load(path, &g2) == FPM_OK);
  CHECK(fpm_gallery_counts(g2, NULL, &live, NULL) == FPM_OK && live == 5);
  CHECK(fpm_gallery_load("/nonexistent.fpg", &g2) == FPM_E_IO);
  FILE* f = fopen("fpm_c_api_bad.fpg", "wb");
  if (f) {
    fputs("certainly not a gallery, but long enough to have a header? no.", f);
    fclose(f);
  }
  fpm_gallery* g3 = NULL;
  CHECK(fpm_gallery_load("fpm_c_api_bad.fpg", &g3) == FPM_E_CORRUPT);
  CHECK(g3 == NULL);
  remove("fpm_c_api_bad.fpg");

  /* Engines. */
  fpm_engine_options eo;
  fpm_engine_options_init(&eo);
  eo.backend = FPM_BACKEND_CPU;
  eo.threads = 2;
  fpm_engine* e = NULL;
  CHECK(fpm_engine_create(g, &eo, &e) == FPM_OK);
  int backend = -1;
  CHECK(fpm_engine_backend(e, &backend) == FPM_OK && backend == FPM_BACKEND_CPU);
  fpm_engine* e2 = NULL;
  CHECK(fpm_engine_load(path, NULL, &e2) == FPM_OK);
  /* Why an Auto engine (e2) runs on the CPU; nothing for a CPU engine. */
  char why[512];
  size_t why_len = 99;
  CHECK(fpm_engine_fallback_reason(e, why, sizeof why, &why_len) == FPM_OK && why_len == 0 && why[0] == '\0');
  CHECK(fpm_engine_backend(e2, &backend) == FPM_OK);
  CHECK(fpm_engine_fallback_reason(e2, NULL, 0, &why_len) == FPM_E_BUFFER_TOO_SMALL);
  CHECK(backend == FPM_BACKEND_CUDA ? why_len == 0 : why_len > 0);
  CHECK(fpm_engine_fallback_reason(e2, why, why_len, &why_len) == FPM_E_BUFFER_TOO_SMALL);
  CHECK(why_len < sizeof why && fpm_engine_fallback_reason(e2, why, why_len + 1, &why_len) == FPM_OK);
  CHECK(strlen(why) == why_len);
  CHECK(fpm_engine_fallback_reason(e2, why, sizeof why, NULL) == FPM_E_INVALID_ARGUMENT);
  eo.backend = 9;
  CHECK(fpm_engine_create(g, &eo, &e2) == FPM_E_INVALID_ARGUMENT || e2 != NULL);
  eo.backend = FPM_BACKEND_CUDA;
  fpm_engine* ecuda = NULL;
  const fpm_status cs = fpm_engine_create(g, &eo, &ecuda);
  CHECK(cs == FPM_OK || cs == FPM_E_UNAVAILABLE);
  fpm_engine_destroy(ecuda);

  fpm_template* probe = load_text(3, 2);
  const fpm_template* probes[2] = {probe, a2};
  fpm_search_options so;
  fpm_search_options_init(&so);
  CHECK(so.top_k == 10);
  so.top_k = 3;
  fpm_candidate out[2 * 4];
  size_t found[2] = {0, 0};
  CHECK(fpm_engine_search(e, probes, 2, &so, out, 2, found) == FPM_E_BUFFER_TOO_SMALL);
  CHECK(fpm_engine_search(e, probes, 2, &so, out, 4, found) == FPM_OK);
  CHECK(found[0] == 3 && found[1] == 3);
  CHECK(strcmp(out[0].subject, "person-3") == 0);
  CHECK(strcmp(out[4].subject, "person-1") == 0);
  CHECK(out[0].score >= out[1].score && out[1].score >= out[2].score);
  so.top_k = 0;
  CHECK(fpm_engine_search(e, probes, 2, &so, out, 4, found) == FPM_E_INVALID_ARGUMENT);
  so.top_k = 3;
  const fpm_template* stale[1] = {NULL};
  CHECK(fpm_engine_search(e, stale, 1, &so, out, 4, found) == FPM_E_INVALID_HANDLE);
  CHECK(fpm_engine_search(e, probes, 0, &so, NULL, 4, NULL) == FPM_OK);

  fpm_finger fingers[3] = {{probe, 0}, {a2, 1}, {b, 0}};
  size_t per_probe[2] = {1, 2};
  fpm_subject_candidate sc[2 * 3];
  CHECK(fpm_engine_search_subjects(e, fingers, per_probe, 2, &so, sc, 3, found) == FPM_OK);
  CHECK(found[0] == 3 && strcmp(sc[0].subject, "person-3") == 0);
  fingers[0].position = 12;
  CHECK(fpm_engine_search_subjects(e, fingers, per_probe, 2, &so, sc, 3, found) == FPM_E_INVALID_ARGUMENT);
  per_probe[0] = 0;
  fingers[0].position = 0;
  CHECK(fpm_engine_search_subjects(e, fingers, per_probe, 2, &so, sc, 3, found) == FPM_E_INVALID_ARGUMENT);
  per_probe[0] = 1;

  /* Decisions at a target FPIR: the same candidates with their evidence. */
  {
    fpm_subject_decision sd[2 * 3];
    int hit[2] = {7, 7};
    size_t found_d[2] = {0, 0};
    CHECK(fpm_engine_search_subjects(e, fingers, per_probe, 2, &so, sc, 3, found) == FPM_OK);
    CHECK(fpm_engine_search_subjects_at_fpir(e, fingers, per_probe, 2, &so, 0.001, sd, 3, found_d, hit) == FPM_OK);
    CHECK(found_d[0] == found[0] && found_d[1] == found[1]);
    for (size_t p = 0; p < 2; ++p) {
      CHECK(hit[p] == 0 || hit[p] == 1);
      int any = 0;
      for (size_t i = 0; i < found_d[p]; ++i) {
        const fpm_subject_decision* d = &sd[p * 3 + i];
        CHECK(strcmp(d->subject, sc[p * 3 + i].subject) == 0 && d->score == sc[p * 3 + i].score);
        CHECK(d->subject_fmr > 0 && d->subject_fmr <= 1 && d->fpir >= 0 && d->fpir <= 1 && d->evidence >= 0);
        CHECK(d->hit == (d->fpir <= 0.001 * (1 + 1e-9)));
        any |= d->hit;
      }
      CHECK(hit[p] == any);
    }
    CHECK(hit[0] == 1);  /* probe 0 is a new impression of person-3's finger */
    CHECK(fpm_engine_search_subjects_at_fpir(e, fingers, per_probe, 2, &so, 0.0, sd, 3, found_d, hit) ==
          FPM_E_INVALID_ARGUMENT);
    CHECK(fpm_engine_search_subjects_at_fpir(e, fingers, per_probe, 2, &so, 1.0, sd, 3, found_d, hit) ==
          FPM_E_INVALID_ARGUMENT);
    CHECK(fpm_engine_search_subjects_at_fpir(e, fingers, per_probe, 2, &so, nan(""), sd, 3, found_d, hit) ==
          FPM_E_INVALID_ARGUMENT);
    CHECK(fpm_engine_search_subjects_at_fpir(e, fingers, per_probe, 2, &so, 0.001, sd, 3, found_d, NULL) ==
          FPM_E_INVALID_ARGUMENT);
    double fmr = 0, fpir = 0;
    CHECK(fpm_modelled_fmr(0.0f, &fmr) == FPM_OK && fmr == 1.0);
    CHECK(fpm_modelled_fmr(1.0f, &fmr) == FPM_OK && fmr == 1e-12);
    CHECK(fpm_modelled_fmr(nanf(""), &fmr) == FPM_E_INVALID_ARGUMENT);
    CHECK(fpm_fpir_at(0.5, 2, &fpir) == FPM_OK && fabs(fpir - 0.75) < 1e-12);
    CHECK(fpm_fpir_at(1.5, 2, &fpir) == FPM_E_INVALID_ARGUMENT);
  }

  CHECK(fpm_engine_add(e, "newcomer", 4, probe, &idx) == FPM_OK);
  CHECK(fpm_engine_search(e, probes, 1, &so, out, 4, found) == FPM_OK);
  CHECK(strcmp(out[0].subject, "newcomer") == 0);
  CHECK(fpm_engine_remove(e, idx) == FPM_OK);
  CHECK(fpm_engine_remove(e, 12345) == FPM_E_INVALID_ARGUMENT);

  /* Sizes whose product overflows are refused before anything is written:
   * with capacity near 2^63 and 3 probes, or SIZE_MAX, the outputs of one
   * probe would otherwise land over another's or before the array. */
  {
    const fpm_template* three[3] = {probe, a2, b};
    size_t found3[3] = {7, 7, 7};
    fpm_candidate sentinel[4];
    memset(sentinel, 0x5a, sizeof sentinel);
    const size_t huge[3] = {(size_t)1 << 63, SIZE_MAX, SIZE_MAX / sizeof(fpm_candidate) / 2};
    for (int h = 0; h < 3; ++h) {
      CHECK(fpm_engine_search(e, three, 3, &so, sentinel, huge[h], found3) == FPM_E_INVALID_ARGUMENT);
      CHECK(found3[0] == 7 && found3[1] == 7 && found3[2] == 7);
      CHECK(((unsigned char*)sentinel)[0] == 0x5a);
      if (h < 2) /* huge[2] fits 2 x sizeof(fpm_subject_candidate): not an overflow there */
        CHECK(fpm_engine_search_subjects(e, fingers, per_probe, 2, &so, sc, huge[h], found) == FPM_E_INVALID_ARGUMENT);
    }
    size_t per_huge[2] = {SIZE_MAX, 2};
    CHECK(fpm_engine_search_subjects(e, fingers, per_huge, 2, &so, sc, 3, found) == FPM_E_INVALID_ARGUMENT);
    /* NaN min_score is refused, not silently empty. */
    fpm_search_options nan_so = so;
    nan_so.min_score = nanf("");
    CHECK(fpm_engine_search(e, probes, 1, &nan_so, out, 4, found) == FPM_E_INVALID_ARGUMENT);
  }

  /* Handles of the wrong kind are refused with their own status; a destroy
   * of the wrong kind does nothing. */
  {
    fpm_template_info ti;
    CHECK(fpm_template_get_info((const fpm_template*)g, &ti) == FPM_E_WRONG_HANDLE_KIND);
    CHECK(fpm_template_get_info((const fpm_template*)e, &ti) == FPM_E_WRONG_HANDLE_KIND);
    CHECK(fpm_gallery_counts((const fpm_gallery*)a, &entries, NULL, NULL) == FPM_E_WRONG_HANDLE_KIND);
    CHECK(fpm_gallery_add(g, "x", 1, (const fpm_template*)g, NULL) == FPM_E_WRONG_HANDLE_KIND);
    CHECK(fpm_engine_backend((const fpm_engine*)g, &backend) == FPM_E_WRONG_HANDLE_KIND);
    CHECK(fpm_engine_search((fpm_engine*)a, probes, 1, &so, out, 4, found) == FPM_E_WRONG_HANDLE_KIND);
    const fpm_template* wrong[1] = {(const fpm_template*)e};
    CHECK(fpm_engine_search(e, wrong, 1, &so, out, 4, found) == FPM_E_WRONG_HANDLE_KIND);
    CHECK(fpm_verify(a, (const fpm_template*)g, &same, NULL) == FPM_E_WRONG_HANDLE_KIND);
    CHECK(strstr(fpm_last_error(), "gallery") != NULL);
    fpm_template_destroy((fpm_template*)g); /* ignored: g is a gallery */
    fpm_engine_destroy((fpm_engine*)a);     /* ignored: a is a template */
    CHECK(fpm_gallery_counts(g, &entries, NULL, NULL) == FPM_OK);
    CHECK(fpm_template_get_info(a, &ti) == FPM_OK);
    CHECK(strcmp(fpm_status_string(FPM_E_WRONG_HANDLE_KIND), "wrong handle kind") == 0);
    CHECK(strcmp(fpm_status_string((fpm_status)-1), "unknown status") == 0);
    CHECK(strcmp(fpm_status_string((fpm_status)999), "unknown status") == 0);
  }

  /* An empty .xyt record (no minutiae) encodes to zero bytes. */
  {
    fpm_decode_options xo;
    fpm_decode_options_init(&xo);
    xo.format = FPM_FORMAT_XYT;
    fpm_template* empty = NULL;
    const uint8_t nothing[1] = {0};
    CHECK(fpm_template_decode(nothing, 0, &xo, 0, &empty) == FPM_OK);
    uint8_t buf[16];
    size_t n = 99;
    CHECK(fpm_template_encode(empty, FPM_FORMAT_XYT, buf, sizeof buf, &n) == FPM_OK && n == 0);
    fpm_template_destroy(empty);
  }

  /* Thread counts: an unreasonable one is refused up front. */
  {
    fpm_engine_options to;
    fpm_engine_options_init(&to);
    to.backend = FPM_BACKEND_CPU;
    fpm_engine* et = NULL;
    to.threads = 1025;
    CHECK(fpm_engine_create(g, &to, &et) == FPM_E_INVALID_ARGUMENT && et == NULL);
    to.threads = 2147483647;
    CHECK(fpm_engine_create(g, &to, &et) == FPM_E_INVALID_ARGUMENT && et == NULL);
    to.threads = 0;
    to.device_count = (size_t)1 << 40;
    const int dev0 = 0;
    to.devices = &dev0;
    CHECK(fpm_engine_create(g, &to, &et) == FPM_E_INVALID_ARGUMENT && et == NULL);
  }

  /* Use after destroy is refused, destroy accepts NULL and repeats. */
  fpm_template_destroy(probe);
  CHECK(fpm_template_get_info(probe, &info) == FPM_E_INVALID_HANDLE);
  CHECK(fpm_verify(probe, a, &same, NULL) == FPM_E_INVALID_HANDLE);
  fpm_template_destroy(probe);
  fpm_engine_destroy(e);
  CHECK(fpm_engine_backend(e, &backend) == FPM_E_INVALID_HANDLE);
  fpm_engine_destroy(e2);
  fpm_gallery_destroy(g);
  CHECK(fpm_gallery_counts(g, &entries, NULL, NULL) == FPM_E_INVALID_HANDLE);
  fpm_gallery_destroy(g2);
  fpm_template_destroy(a);
  fpm_template_destroy(a2);
  fpm_template_destroy(b);
  fpm_template_destroy(back);
  fpm_template_destroy(NULL);
  fpm_gallery_destroy(NULL);
  fpm_engine_destroy(NULL);
  remove(path);

  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  else printf("C API: all checks passed\n");
  return failures ? 1 : 0;
}
