// Q4_K and Q6_K quantisers: per-sub-block scale search, then 6-/8-bit scale quantisation
// against the super-block scale, then the final rounding of every value with the stored scales.
#include <algorithm>
#include <cmath>

#include "engine/quant/f16.hpp"
#include "engine/quant/quantize.hpp"
#include "engine/quant/rounding.hpp"
#include "engine/quant/scales.hpp"

namespace pv::engine::quant {
namespace {

// Importance weights as in llama.cpp's K-quantisers: larger magnitudes matter more.
void importance(const float* x, int n, float* w) {
  double s2 = 0;
  for (int i = 0; i < n; ++i) s2 += static_cast<double>(x[i]) * x[i];
  const float av = static_cast<float>(std::sqrt(s2 / n));
  for (int i = 0; i < n; ++i) w[i] = av + std::fabs(x[i]);
}

int clampi(float v, int lo, int hi) { return round_clamp(v, lo, hi); }

// Fit x ~= a * q + b with q in [0, 15] and b <= 0 (Q4_K stores min = -b >= 0).
// Tries 21 candidate step sizes around (hi - lo) / 15 and keeps the least-squares fit with the
// smallest weighted error.
void fit_affine(const float* x, const float* w, int n, float& a_best, float& b_best) {
  float lo = 0, hi = x[0];
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  if (hi <= lo) {  // constant non-positive block: all q = 0, value = b
    a_best = 0;
    b_best = lo;
    return;
  }
  double best_err = -1;
  a_best = (hi - lo) / 15;
  b_best = lo;
  for (int k = -1; k <= 20; ++k) {
    const float iscale = k < 0 ? 15 / (hi - lo) : (14 + 0.1f * static_cast<float>(k)) / (hi - lo);
    double sw = 0, sq = 0, sx = 0, sqq = 0, sqx = 0, sxx = 0;
    for (int i = 0; i < n; ++i) {
      const double wi = w[i], qi = clampi(iscale * (x[i] - lo), 0, 15), xi = x[i];
      sw += wi; sq += wi * qi; sx += wi * xi;
      sqq += wi * qi * qi; sqx += wi * qi * xi; sxx += wi * xi * xi;
    }
    const double det = sw * sqq - sq * sq;
    double a, b;
    if (det > 0) {
      a = (sw * sqx - sq * sx) / det;
      b = (sqq * sx - sq * sqx) / det;
    } else {
      a = 0; b = sx / sw;
    }
    if (b > 0) {  // min must be <= 0: refit the scale alone with b = 0
      b = 0;
      a = sqq > 0 ? sqx / sqq : 0;
    }
    if (a < 0) continue;
    // sum w (a q + b - x)^2 expanded into the sums above (no second pass over the values).
    const double err = a * a * sqq + 2 * a * b * sq - 2 * a * sqx + b * b * sw - 2 * b * sx + sxx;
    if (best_err < 0 || err < best_err) {
      best_err = err;
      a_best = static_cast<float>(a);
      b_best = static_cast<float>(b);
    }
  }
}

// Fit x ~= a * q with q in [-32, 31] (Q6_K); a may be negative.
float fit_symmetric(const float* x, const float* w, int n) {
  float amax = 0, vmax = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) { amax = std::fabs(x[i]); vmax = x[i]; }
  if (amax == 0) return 0;
  float a_best = vmax / -32;
  double best_err = -1;
  for (int k = -9; k <= 9; ++k) {
    const float iscale = -(32 + 0.1f * static_cast<float>(k)) / vmax;
    double sqq = 0, sqx = 0, sxx = 0;
    for (int i = 0; i < n; ++i) {
      const double wi = w[i], qi = clampi(iscale * x[i], -32, 31), xi = x[i];
      sqq += wi * qi * qi; sqx += wi * qi * xi; sxx += wi * xi * xi;
    }
    if (sqq <= 0) continue;
    const double a = sqx / sqq;
    const double err = sxx - sqx * a;  // sum w (a q - x)^2 at the least-squares a
    if (best_err < 0 || err < best_err) { best_err = err; a_best = static_cast<float>(a); }
  }
  return a_best;
}

// Largest finite f16 is 65504: a super-block scale beyond it would store inf.
std::uint16_t f16_scale(float v) { return f32_to_f16(std::min(v, 65504.0f)); }

}  // namespace

void quantize_q4k(const float* x, BlockQ4K& b) {
  float w[32], scale[8], minv[8];
  for (int j = 0; j < 8; ++j) {
    importance(x + 32 * j, 32, w);
    float a, off;
    fit_affine(x + 32 * j, w, 32, a, off);
    scale[j] = a;
    minv[j] = -off;
  }
  const float max_scale = *std::max_element(scale, scale + 8);
  const float max_min = *std::max_element(minv, minv + 8);
  b.d = f16_scale(max_scale / 63);
  b.dmin = f16_scale(max_min / 63);
  const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
  std::uint8_t sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = static_cast<std::uint8_t>(d > 0 ? clampi(scale[j] / d, 0, 63) : 0);
    m[j] = static_cast<std::uint8_t>(dmin > 0 ? clampi(minv[j] / dmin, 0, 63) : 0);
  }
  pack_q4k_scales(sc, m, b.scales);
  std::uint8_t q[QK_K];
  for (int j = 0; j < 8; ++j) {  // final rounding against the stored (quantised) scales
    const float dd = d * static_cast<float>(sc[j]), dm = dmin * static_cast<float>(m[j]);
    for (int i = 0; i < 32; ++i)
      q[32 * j + i] = static_cast<std::uint8_t>(dd > 0 ? clampi((x[32 * j + i] + dm) / dd, 0, 15) : 0);
  }
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l)
      b.qs[32 * c + l] = static_cast<std::uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
}

void quantize_q6k(const float* x, BlockQ6K& b) {
  float w[16], scale[16];
  float amax = 0;
  for (int j = 0; j < 16; ++j) {
    importance(x + 16 * j, 16, w);
    scale[j] = fit_symmetric(x + 16 * j, w, 16);
    amax = std::max(amax, std::fabs(scale[j]));
  }
  b.d = f16_scale(amax / 127);
  const float d = f16_to_f32(b.d);
  std::uint8_t q[QK_K];
  for (int j = 0; j < 16; ++j) {
    b.scales[j] = static_cast<std::int8_t>(d > 0 ? clampi(scale[j] / d, -127, 127) : 0);
    const float dd = d * static_cast<float>(b.scales[j]);
    for (int i = 0; i < 16; ++i)
      q[16 * j + i] = static_cast<std::uint8_t>((dd != 0 ? clampi(x[16 * j + i] / dd, -32, 31) : 0) + 32);
  }
  for (int h = 0; h < 2; ++h) {
    const std::uint8_t* qq = q + 128 * h;
    for (int l = 0; l < 32; ++l) {
      b.ql[64 * h + l] = static_cast<std::uint8_t>((qq[l] & 0xF) | ((qq[l + 64] & 0xF) << 4));
      b.ql[64 * h + l + 32] = static_cast<std::uint8_t>((qq[l + 32] & 0xF) | ((qq[l + 96] & 0xF) << 4));
      b.qh[32 * h + l] = static_cast<std::uint8_t>((qq[l] >> 4) | ((qq[l + 32] >> 4) << 2) |
                                                   ((qq[l + 64] >> 4) << 4) | ((qq[l + 96] >> 4) << 6));
    }
  }
}

}  // namespace pv::engine::quant
