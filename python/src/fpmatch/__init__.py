"""fpmatch: fingerprint identification over standard minutiae templates.

Records (ISO/IEC 19794-2, ANSI INCITS 378, NIST .xyt, ANSI/NIST-ITL) decode
into views whose minutiae are numpy structured arrays; views encode into
templates (MCC cylinders) that compare with :func:`match` (scores in [0, 1],
the same as the C++ library's and the ``fpmatch`` command's), into galleries
and into engines that search them 1:N. See docs/python.md.
"""
from __future__ import annotations

import os
from typing import Iterable, Tuple, Union

import numpy as np

from . import _fpmatch
from ._dtypes import MINUTIA_DTYPE
from ._errors import (CorruptError, DecodeError, Error, InternalError, InvalidArgument, IoError, OutOfMemory,
                      Unavailable, UnsupportedFormat)
from ._fpmatch import (Candidate, Engine, FmrEstimate, Gallery, GalleryEntry, Record, SubjectCandidate,
                       SyntheticFingers, Template, View, calibration_info, detect_format, encode,
                       false_match_rate, format_title, match, match_all_pairs, match_many, runtime_info,
                       threshold_for_fmr)
from ._fpmatch import (IdentificationDecision, SubjectEvidence, decide_at_fpir, fpir_at, modelled_fmr,
                       subject_evidence, subject_fmr_for_fpir, threshold_for_modelled_fmr)
from ._fpmatch import (ShardInfo, check_complete_split, load_shard, merge_shard_candidates, merge_shard_subjects,
                       read_shard_info, shard_file_name, split_gallery, to_source_indices)
from ._evaluate import FMR_TARGETS, DetCurve, ErrorRates, FolderEvaluation, det_curve, evaluate, evaluate_folders

__version__ = _fpmatch.version()

# Minutia types (the `type` field of MINUTIA_DTYPE).
OTHER, RIDGE_ENDING, BIFURCATION = 0, 1, 2

__all__ = [
    "MINUTIA_DTYPE", "OTHER", "RIDGE_ENDING", "BIFURCATION",
    "Error", "DecodeError", "InvalidArgument", "UnsupportedFormat", "IoError", "CorruptError", "Unavailable", "OutOfMemory",
    "InternalError",
    "Record", "View", "decode", "encode", "detect_format", "format_title", "view", "SyntheticFingers",
    "Template", "template", "templates", "match", "match_many", "match_all_pairs",
    "Gallery", "GalleryEntry", "Engine", "Candidate", "SubjectCandidate",
    "FmrEstimate", "false_match_rate", "fmr", "threshold_for_fmr", "calibration_info",
    "modelled_fmr", "threshold_for_modelled_fmr", "SubjectEvidence", "subject_evidence", "fpir_at",
    "subject_fmr_for_fpir", "IdentificationDecision", "decide_at_fpir",
    "ShardInfo", "split_gallery", "shard_file_name", "read_shard_info", "load_shard", "check_complete_split",
    "to_source_indices", "merge_shard_candidates", "merge_shard_subjects",
    "ErrorRates", "DetCurve", "FolderEvaluation", "FMR_TARGETS", "evaluate", "det_curve", "evaluate_folders",
    "runtime_info", "__version__",
]

BytesLike = Union[bytes, bytearray, memoryview]
PathLike = Union[str, "os.PathLike[str]"]


def decode(source: Union[BytesLike, PathLike], format: str = "auto", strict: bool = False, *,
           xyt_convention: str = "nist", xyt_image_width: int = 0, xyt_image_height: int = 0,
           assume_resolution_ppcm: int = 0, rescale: Tuple[float, float] = (1.0, 1.0)) -> Record:
    """Decodes a template record from its bytes or from a file.

    ``format``: ``"auto"`` (detect from the bytes) or a format name
    (``iso2005``, ``iso2011``, ``ansi2004``, ``ansi2009``, ``xyt``, ``an2k``).
    ``strict`` refuses records with recoverable oddities instead of decoding
    them with a warning. Raises :class:`DecodeError` naming the field and byte
    offset, :class:`IoError` for an unreadable file. ``rescale=(sx, sy)``
    stretches every view's geometry for records whose coordinates are not at
    the resolution they declare (to undo a resize by (fx, fy), give
    (1 / fx, 1 / fy)); each in [0.25, 4], else :class:`InvalidArgument`.
    """
    sx, sy = (float(v) for v in rescale)
    args = (format, bool(strict), xyt_convention, xyt_image_width, xyt_image_height, assume_resolution_ppcm, sx, sy)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _fpmatch._decode_bytes(bytes(source), *args)
    if isinstance(source, (str, os.PathLike)):
        return _fpmatch._decode_file(os.fspath(source), *args)
    raise TypeError(f"decode: expected bytes or a path, got {type(source).__name__}")


def _columns(minutiae) -> tuple:
    """x, y, angle (float32), type, quality (uint8) columns of minutiae given as
    a structured array (fields x, y, angle and optionally type, quality) or as
    an (N, 3..5) array of x, y, angle[, type[, quality]]."""
    a = np.asarray(minutiae)
    if a.dtype.names is not None:
        missing = [f for f in ("x", "y", "angle") if f not in a.dtype.names]
        if missing:
            raise InvalidArgument(f"minutiae lack the field(s) {', '.join(missing)}")
        a = a.reshape(-1)
        n = a.shape[0]
        cols = [a["x"], a["y"], a["angle"],
                a["type"] if "type" in a.dtype.names else np.zeros(n),
                a["quality"] if "quality" in a.dtype.names else np.zeros(n)]
    else:
        if a.size == 0:
            a = a.reshape(0, 3)
        if a.ndim != 2 or not 3 <= a.shape[1] <= 5:
            raise InvalidArgument(f"minutiae must be a structured array or an (N, 3..5) array, got shape {a.shape}",
                                  "invalid argument", 1)
        n = a.shape[0]
        cols = [a[:, i] if i < a.shape[1] else np.zeros(n) for i in range(5)]
    out = [np.ascontiguousarray(c, dtype=np.float32) for c in cols[:3]]
    for c in cols[3:]:
        c = np.asarray(c)
        if c.size and (np.any(c < 0) or np.any(c > 255) or np.any(c != np.floor(c))):
            raise InvalidArgument("minutia type and quality must be integers in [0, 255]")
        out.append(np.ascontiguousarray(c, dtype=np.uint8))
    return tuple(out)


def view(minutiae, *, width: int = 0, height: int = 0, position: int = 0, ppcm: int = 197, view_number: int = 0,
         impression: int = 0, finger_quality: int = 0) -> View:
    """A view from minutiae in the canonical frame (500 ppi, origin top-left,
    angle in radians counter-clockwise along the ridge): a MINUTIA_DTYPE-like
    structured array or an (N, 3..5) array of x, y, angle[, type[, quality]].
    Validated by the library (InvalidArgument for coordinates outside
    [0, 16383], non-finite values, invalid types, positions above 10, ...)."""
    return View._from_columns(*_columns(minutiae), width, height, ppcm, ppcm, position, view_number, impression,
                              finger_quality)


def template(source, *, min_quality: int = 55, max_dropped_percent: int = 40) -> Template:
    """The template (MCC cylinders) of a view or of a minutiae array (see :func:`view`).

    ``min_quality``/``max_dropped_percent``: how low-quality minutiae are left
    out (C++ CylinderOptions; the defaults are the ones every score of the
    ``fpmatch`` command uses; ``min_quality=0`` is the published method)."""
    v = source if isinstance(source, View) else view(source)
    return _fpmatch._encode_cylinders(v, min_quality, max_dropped_percent)


def templates(sources: Iterable, *, threads: int = 0, min_quality: int = 55,
              max_dropped_percent: int = 40) -> list:
    """Templates of many views (or minutiae arrays) on ``threads`` threads (0: all cores), in input order."""
    vs = [s if isinstance(s, View) else view(s) for s in sources]
    return _fpmatch._encode_cylinders_all(vs, min_quality, max_dropped_percent, threads)


def fmr(score: float) -> float:
    """The estimated false match rate of accepting ``score`` (shipped calibration).

    When no calibration impostor score reaches it, the value is the bound
    1/total (:func:`false_match_rate` says so with ``upper_bound``)."""
    return false_match_rate(score).fmr
