"""Error rates and DET curves of score lists, and all-pairs evaluation of
folders of templates: the C++ library's own functions (evaluation.hpp), so
the numbers are those `fpmatch eval` prints, to the last digit."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import numpy as np

from . import _fpmatch

# The FMRs the library reports FNMR at (C++ ErrorRates).
FMR_TARGETS = (0.01, 0.001, 0.0001)


@dataclass(frozen=True)
class DetCurve:
    """One point per distinct score and one above them all, thresholds
    ascending: FMR(t) is the share of impostor scores >= t, FNMR(t) the share
    of genuine scores < t."""
    threshold: np.ndarray  # float32
    fmr: np.ndarray        # float64
    fnmr: np.ndarray       # float64


@dataclass(frozen=True)
class ErrorRates:
    """EER (FVC definition), its threshold and FNMR at FMR 1%, 0.1%, 0.01%."""
    genuine: int
    impostor: int
    eer: float
    eer_threshold: float
    fnmr_at_fmr: Dict[float, float]  # keys: FMR_TARGETS
    det: DetCurve = field(repr=False)

    @classmethod
    def _of(cls, rates: dict, det: DetCurve) -> "ErrorRates":
        return cls(rates["genuine"], rates["impostor"], rates["eer"], rates["eer_threshold"],
                   {t: rates[f"fnmr_at_fmr_{t}"] for t in FMR_TARGETS}, det)


def _scores(values, what: str) -> np.ndarray:
    a = np.ascontiguousarray(np.asarray(values, dtype=np.float32).reshape(-1))
    if np.isnan(a).any():
        raise ValueError(f"{what} scores hold NaN")
    return a


def det_curve(genuine: Sequence[float], impostor: Sequence[float]) -> DetCurve:
    """The DET curve of genuine and impostor scores (float32, as the library holds them)."""
    t, fmr, fnmr = _fpmatch._det_curve(_scores(genuine, "genuine"), _scores(impostor, "impostor"))
    return DetCurve(t, fmr, fnmr)


def evaluate(genuine: Sequence[float], impostor: Sequence[float]) -> ErrorRates:
    """EER, FNMR at FMR 1%, 0.1% and 0.01%, and the DET curve. A comparison is
    accepted when score >= threshold. Scores are taken as float32 (the
    library's score type). Raises InvalidArgument when either list is empty."""
    g, i = _scores(genuine, "genuine"), _scores(impostor, "impostor")
    rates = _fpmatch._error_rates(g, i)
    t, fmr, fnmr = _fpmatch._det_curve(g, i)
    return ErrorRates._of(rates, DetCurve(t, fmr, fnmr))


@dataclass(frozen=True)
class FolderEvaluation:
    """All pairs of folders of FVC-named templates (FINGER_IMPRESSION.ext)."""
    files: List[str]        # folder by folder, sorted by name within each
    fingers: List[str]      # "FOLDER_INDEX:FINGER" of each file
    folder: np.ndarray      # int64, the input folder of each file
    pairs: np.ndarray       # int64 [pairs, 2]: indices into files, a < b
    scores: np.ndarray      # float32 [pairs]
    genuine: np.ndarray     # bool [pairs]
    rates: ErrorRates       # over all pairs (pairs across folders are impostors)
    folder_rates: List[ErrorRates]  # per folder, over the pairs within it


def evaluate_folders(dirs: Sequence[str], *, threads: int = 0) -> FolderEvaluation:
    """Decodes every file of the folders (first view), compares every unordered
    pair once and computes the error rates, as ``fpmatch eval DIR...``."""
    dirs = [str(d) for d in ([dirs] if isinstance(dirs, str) else dirs)]
    files, fingers, folder, pairs, scores, genuine, rates, sets = _fpmatch._evaluate_folders(dirs, threads)
    folder = folder.reshape(-1)
    genuine = genuine.reshape(-1).astype(bool)
    det = det_curve(scores[genuine], scores[~genuine])
    per = []
    for f, r in enumerate(sets):
        inside = (folder[pairs[:, 0]] == f) & (folder[pairs[:, 1]] == f)
        per.append(ErrorRates._of(r, det_curve(scores[inside & genuine], scores[inside & ~genuine])))
    return FolderEvaluation(files, fingers, folder, pairs, scores, genuine, ErrorRates._of(rates, det), per)
