#pragma once
// Error of an engine's output against the f64 oracle, measured on the MoE part only
// (h' - h), since the residual h would hide errors in the experts.
#include <cmath>
#include <cstddef>
#include <vector>

namespace pv::engine::testing {

// ||(a - h) - (b - h)|| / ||b - h|| over all tokens, b the oracle.
inline double moe_rel_error(const std::vector<float>& a, const std::vector<double>& b, const std::vector<float>& h) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double diff = static_cast<double>(a[i]) - b[i];
    const double moe = b[i] - static_cast<double>(h[i]);
    num += diff * diff;
    den += moe * moe;
  }
  return std::sqrt(num / den);
}

}  // namespace pv::engine::testing
