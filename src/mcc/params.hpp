// MCC parameters (Cappelli, Ferrara, Maltoni, TPAMI 2010) at 500 ppi, and the
// fixed layout they imply. Deviations from the published values are marked
// and justified in docs/matcher.md.
#pragma once

#include <cstdint>

namespace fpm::mcc {

// ---- cylinder -------------------------------------------------------------
constexpr int kNs = 16;                 // spatial cells per side
constexpr int kNd = 6;                  // directional layers
constexpr float kRadius = 70.0f;        // R, pixels
constexpr double kSigmaS = 28.0 / 3.0;  // spatial deviation, pixels
constexpr double kSigmaD = 2.0 * 3.14159265358979323846 / 9.0;  // directional deviation
constexpr double kMuPsi = 0.01;         // bit threshold of a cell's summed contribution
constexpr double kOmega = 50.0;         // convex hull enlargement, pixels

// ---- validity -------------------------------------------------------------
constexpr double kMinVC = 0.75;  // share of the disc's cells that must be valid
constexpr int kMinM = 2;         // other minutiae within R + 3 sigma_S
constexpr double kMinME = 0.60;  // share of the disc's cells (x Nd) that must be matchable
constexpr float kDeltaTheta = 3.14159265358979323846f / 2.0f;  // direction gate

// ---- consolidation (n_P, LSS-R) ---------------------------------------------
constexpr int kMinNP = 4;
constexpr int kMaxNP = 12;
constexpr double kMuP = 20.0;
constexpr double kTauP = 2.0 / 5.0;
constexpr int kNRel = 5;
constexpr float kWR = 0.5f;
constexpr double kMu1 = 5.0, kTau1 = -8.0 / 5.0;                            // distance
constexpr double kMu2 = 3.14159265358979323846 / 12.0, kTau2 = -30.0;       // relative direction
constexpr double kMu3 = 3.14159265358979323846 / 12.0, kTau3 = -30.0;       // radial angle

// ---- fpmatch's additions (docs/matcher.md has the figures) ----------------
// Comparisons where either template has fewer valid cylinders score 0: too
// little information, and such templates otherwise outscore real matches in
// large galleries.
constexpr int kMinComparableCylinders = 10;
// The median impostor score; the deviation of a score from it is scaled by
// sqrt(n_P / maxNP), which gives comparisons of small templates (few pairs
// averaged, more spread) the same impostor tail as those of large ones.
constexpr float kScoreCentre = 0.0145f;

// ---- layout ---------------------------------------------------------------
constexpr int kCellsPerLayer = kNs * kNs;            // 256
constexpr int kWordsPerLayer = kCellsPerLayer / 64;  // 4
constexpr int kCylinderWords = kWordsPerLayer * kNd; // 24 x 64 bits = 1536 cells
constexpr int kValidityWords = kWordsPerLayer;       // 4 x 64 bits, one per spatial cell
// An encoded template keeps at most this many cylinders (valid minutiae);
// larger templates keep the best by quality (docs/matcher.md).
constexpr int kMaxCylinders = 128;

}  // namespace fpm::mcc
