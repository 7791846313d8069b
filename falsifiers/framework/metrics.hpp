#pragma once
// Parity metrics between a result and a reference, all computed in f64.
// Every parity falsifier records all of them: those the contract gives a threshold are
// checked, the others recorded for the evidence (so a report can show, e.g., that a cosine
// of 0.995 came with a top-k agreement of 0.97).
#include <cstdint>
#include <string>
#include <vector>

namespace pv::falsify {

struct Context;

struct ParityStats {
  double cosine = 0;          // over the whole tensor
  double cosine_min = 0;      // smallest per-row (per-token) cosine
  double max_rel_error = 0;   // max |a - r| / max |r|  (relative to the largest reference
                              // magnitude, so values near zero do not blow it up)
  double max_abs_error = 0;
  double nmse = 0;            // sum (a - r)^2 / sum r^2
  double topk_agreement = 1;  // mean over rows of |topk(a) & topk(r)| / k, by value
  int rows = 0, cols = 0;
  std::int64_t non_finite = 0;  // non-finite values in a
};

// a and r are row-major [rows, cols]; k for top-k agreement (clamped to cols).
ParityStats parity(const std::vector<float>& a, const std::vector<double>& r, int rows, int k = 8);
ParityStats parity(const std::vector<float>& a, const std::vector<float>& r, int rows, int k = 8);

// The worse of two results, statistic by statistic (for the worst case over many inputs).
ParityStats worst_of(const ParityStats& a, const ParityStats& b);

// Cosine of two vectors (1 when both are zero, 0 when only one is).
double cosine(const double* a, const double* b, std::size_t n);

// Mean fraction of equal sets of selected experts per token ([T, k] each).
double expert_set_agreement(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b, int k);

// Checks every statistic the contract declares a threshold for and records the others,
// each under its own name: cosine, cosine_min, max_rel_error, max_abs_error, nmse,
// topk_agreement, non_finite_outputs. Returns whether every checked one held.
bool record_parity(Context& ctx, const ParityStats& s, const std::string& prefix = "");

}  // namespace pv::falsify
