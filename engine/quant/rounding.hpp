#pragma once
// Round to nearest, ties to even, clamped to [lo, hi] - without a libm call (std::nearbyint is
// a function call on baseline x86-64 and dominated quantisation time). Adding and subtracting
// 1.5 * 2^23 leaves the integer nearest to v in an f32 for |v| < 2^22 under the default
// rounding mode; the clamp is applied first so that bound always holds. NaN maps to lo.
// Identical results to std::clamp(std::nearbyint(v), lo, hi) for every float.
namespace pv::engine::quant {

inline int round_clamp(float v, int lo, int hi) {
  if (!(v > static_cast<float>(lo))) return lo;
  if (v >= static_cast<float>(hi)) return hi;
  // (v + m) - m may not be folded to v: without -ffast-math that is not an IEEE identity.
  const float magic = 12582912.0f;
  const float r = (v + magic) - magic;
  return static_cast<int>(r);
}

}  // namespace pv::engine::quant
