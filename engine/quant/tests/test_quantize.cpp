// quantise -> dequantise: every value is within half a quantisation step of its input unless it
// lies outside the block's representable range (then it is clipped to the nearest end), and
// the search keeps the error of gaussian weights at the level real quantisers reach.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "engine/quant/dequant.hpp"
#include "engine/quant/f16.hpp"
#include "engine/quant/quantize.hpp"
#include "engine/quant/scales.hpp"
#include "engine/synth/rng.hpp"

using namespace pv::engine::quant;
using pv::engine::synth::Rng;

namespace {
constexpr std::uint64_t kSeed = 20240611;

std::vector<float> gaussian(Rng& r, int n, float scale) {
  std::vector<float> x(n);
  for (float& v : x) v = scale * r.gauss();
  return x;
}

double rel_rms_error(const std::vector<float>& x, const std::vector<float>& y) {
  double e = 0, s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    e += (x[i] - y[i]) * double(x[i] - y[i]);
    s += x[i] * double(x[i]);
  }
  return std::sqrt(e / s);
}

// Half a step plus the f32 rounding of d*sc*q - m (a few ulps of the larger magnitude).
bool within_half_step(float x, float y, float step, float lo, float hi) {
  const float slack = 4e-7f * (std::fabs(lo) + std::fabs(hi)) + 1e-30f;
  if (x < lo) return std::fabs(y - lo) <= slack;
  if (x > hi) return std::fabs(y - hi) <= slack;
  return std::fabs(x - y) <= step / 2 + slack;
}
}  // namespace

TEST_CASE("Q4_K: each value within half a step of its sub-block grid; gaussian error small") {
  INFO("seed " << kSeed);
  Rng r(kSeed);
  const int n = 256 * 64;
  const std::vector<float> x = gaussian(r, n, 0.02f);
  std::vector<BlockQ4K> b(n / 256);
  quantize_row(Type::Q4_K, x.data(), b.data(), n);
  std::vector<float> y(n);
  dequantize_row(Type::Q4_K, b.data(), y.data(), n);
  for (int i = 0; i < n / 256; ++i) {
    const ScaleMin s = unpack_q4k_scales(b[i].scales);
    const float d = f16_to_f32(b[i].d), dmin = f16_to_f32(b[i].dmin);
    for (int j = 0; j < 8; ++j) {
      const float step = d * s.sc[j], lo = -(dmin * s.m[j]), hi = step * 15 + lo;
      for (int l = 0; l < 32; ++l) {
        const int k = 256 * i + 32 * j + l;
        INFO("block " << i << " sub-block " << j << " value " << l);
        REQUIRE(within_half_step(x[k], y[k], step, lo, hi));
      }
    }
  }
  // 4-bit affine quantisation of a gaussian: step ~ 6 sigma / 15, uniform rounding error
  // step / sqrt(12) ~ 0.115 sigma; the scale search must do at least as well.
  CHECK(rel_rms_error(x, y) < 0.115);
}

TEST_CASE("Q6_K: each value within half a step; gaussian error small") {
  INFO("seed " << kSeed + 1);
  Rng r(kSeed + 1);
  const int n = 256 * 64;
  const std::vector<float> x = gaussian(r, n, 3.0f);
  std::vector<BlockQ6K> b(n / 256);
  quantize_row(Type::Q6_K, x.data(), b.data(), n);
  std::vector<float> y(n);
  dequantize_row(Type::Q6_K, b.data(), y.data(), n);
  for (int i = 0; i < n / 256; ++i) {
    const float d = f16_to_f32(b[i].d);
    for (int j = 0; j < 16; ++j) {
      const float step = std::fabs(d * b[i].scales[j]);
      const float lo = b[i].scales[j] >= 0 ? -32 * step : -31 * step;
      const float hi = b[i].scales[j] >= 0 ? 31 * step : 32 * step;
      for (int l = 0; l < 16; ++l) {
        const int k = 256 * i + 16 * j + l;
        INFO("block " << i << " sub-block " << j << " value " << l);
        REQUIRE(within_half_step(x[k], y[k], step, lo, hi));
      }
    }
  }
  // 6-bit symmetric, 16 values per scale: step ~ 2 max / 63 ~ 2 * 2 sigma / 63 -> ~0.018 sigma.
  CHECK(rel_rms_error(x, y) < 0.03);
}

TEST_CASE("Q8_0 and Q8_K: error at most half a step, bsums exact") {
  INFO("seed " << kSeed + 2);
  Rng r(kSeed + 2);
  const int n = 1024;
  const std::vector<float> x = gaussian(r, n, 1.5f);
  std::vector<BlockQ8_0> a(n / 32);
  quantize_row(Type::Q8_0, x.data(), a.data(), n);
  std::vector<BlockQ8K> k(n / 256);
  quantize_row_q8k(x.data(), k.data(), n);
  std::vector<float> ya(n), yk(n);
  dequantize_row(Type::Q8_0, a.data(), ya.data(), n);
  dequantize_row(Type::Q8_K, k.data(), yk.data(), n);
  for (int i = 0; i < n; ++i) {
    const float da = f16_to_f32(a[i / 32].d), dk = k[i / 256].d;
    // Q8_0's f16 scale may round below max/127: the top value can clip by up to max * 2^-11.
    CHECK(std::fabs(x[i] - ya[i]) <= da / 2 + std::fabs(x[i]) * 0x1p-10f);
    CHECK(std::fabs(x[i] - yk[i]) <= dk / 2 * (1 + 1e-6f));
  }
  for (const BlockQ8K& b : k)
    for (int g = 0; g < 16; ++g) {
      int s = 0;
      for (int l = 0; l < 16; ++l) s += b.qs[16 * g + l];
      CHECK(b.bsums[g] == s);
    }
}

TEST_CASE("edge blocks: all zero, constant, huge and tiny values stay finite") {
  const int n = 256;
  std::vector<float> zero(n, 0.0f), neg(n, -3.0f), huge(n), tiny(n);
  for (int i = 0; i < n; ++i) {
    huge[i] = (i % 2 ? 1 : -1) * 1e6f * static_cast<float>(i + 1);
    tiny[i] = 1e-9f * static_cast<float>(i - 128);
  }
  for (Type t : {Type::Q4_K, Type::Q6_K, Type::Q8_0}) {
    for (const auto* x : {&zero, &neg, &huge, &tiny}) {
      std::vector<std::uint8_t> q(row_bytes(t, n));
      quantize_row(t, x->data(), q.data(), n);
      std::vector<float> y(n);
      dequantize_row(t, q.data(), y.data(), n);
      for (float v : y) REQUIRE(std::isfinite(v));
      if (x == &zero)
        for (float v : y) CHECK(v == 0.0f);
    }
  }
}

TEST_CASE("quantisation is deterministic") {
  Rng r(kSeed + 3);
  const std::vector<float> x = gaussian(r, 512, 0.1f);
  std::vector<std::uint8_t> a(row_bytes(Type::Q4_K, 512)), b(a.size());
  quantize_row(Type::Q4_K, x.data(), a.data(), 512);
  quantize_row(Type::Q4_K, x.data(), b.data(), 512);
  CHECK(a == b);
}
