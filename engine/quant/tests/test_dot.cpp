// Dot products: scalar against an f64 reference, AVX2 against scalar (exact for Q8_K
// activations, within dot_f32_bound for f32 activations). Includes adversarial blocks: random
// bytes (any scale/min/quant pattern), all-max quants, zero and extreme f16 scales.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "engine/quant/dequant.hpp"
#include "engine/quant/dot.hpp"
#include "engine/quant/f16.hpp"
#include "engine/quant/quantize.hpp"
#include "engine/synth/rng.hpp"

using namespace pv::engine::quant;
using pv::engine::synth::Rng;

namespace {
constexpr std::uint64_t kSeed = 7771;

// A row of `blocks` blocks: quantised gaussians, random bytes with finite scales, and all-0xFF
// quants, so every nibble/bit path is exercised.
std::vector<std::uint8_t> make_row(Type t, int n, Rng& r, int variant) {
  std::vector<std::uint8_t> row(row_bytes(t, n));
  if (variant == 0) {
    std::vector<float> x(n);
    for (float& v : x) v = 0.05f * r.gauss();
    quantize_row(t, x.data(), row.data(), n);
    return row;
  }
  for (auto& b : row) b = variant == 1 ? static_cast<std::uint8_t>(r.next()) : 0xFF;
  // Overwrite the f16 scales with finite values (NaN/inf scales make both sides NaN/inf).
  const std::size_t bb = info(t).block_bytes;
  for (std::size_t off = 0; off < row.size(); off += bb) {
    const std::uint16_t d = f32_to_f16(variant == 2 ? 65504.0f / 256 : 0.01f * r.uniform());
    if (t == Type::Q6_K) std::memcpy(&row[off + 208], &d, 2);
    else std::memcpy(&row[off], &d, 2);
    if (t == Type::Q4_K) std::memcpy(&row[off + 2], &d, 2);
  }
  return row;
}

std::vector<float> activations(int n, Rng& r) {
  std::vector<float> x(n);
  for (float& v : x) v = r.gauss() + (r.below(64) == 0 ? 20.0f : 0.0f);  // some outliers
  return x;
}
}  // namespace

TEST_CASE("dot_q8k: AVX2 equals scalar bit for bit, scalar equals the exact integer maths") {
  if (!isa_supported(Isa::avx2)) {
    WARN("this CPU has no AVX2: only the scalar path is checked");
  }
  INFO("seed " << kSeed);
  Rng r(kSeed);
  const int n = 2048;
  for (Type t : {Type::Q4_K, Type::Q6_K, Type::Q8_0}) {
    for (int variant = 0; variant < 3; ++variant) {
      INFO(name(t) << " variant " << variant);
      const std::vector<std::uint8_t> row = make_row(t, n, r, variant);
      const std::vector<float> x = activations(n, r);
      std::vector<BlockQ8K> xq(n / 256);
      quantize_row_q8k(x.data(), xq.data(), n);
      const float s = dot_q8k(t, row.data(), xq.data(), n, Isa::scalar);
      // f64 reference from dequantised values: each block's f32 finish rounds a few times.
      std::vector<float> w(n), xd(n);
      dequantize_row(t, row.data(), w.data(), n);
      dequantize_row(Type::Q8_K, xq.data(), xd.data(), n);
      double ref = 0, mag = 0;
      for (int i = 0; i < n; ++i) { ref += double(w[i]) * xd[i]; mag += std::fabs(double(w[i]) * xd[i]); }
      CHECK(std::fabs(s - ref) <= dot_f32_bound(n, mag) + 1e-6 * mag);
      if (isa_supported(Isa::avx2)) {
        const float v = dot_q8k(t, row.data(), xq.data(), n, Isa::avx2);
        CHECK(std::bit_cast<std::uint32_t>(v) == std::bit_cast<std::uint32_t>(s));
      }
    }
  }
}

TEST_CASE("dot_f32: scalar within the f32 bound of f64, AVX2 within dot_f32_bound of scalar") {
  INFO("seed " << kSeed + 1);
  Rng r(kSeed + 1);
  const int n = 2048;
  for (Type t : {Type::Q4_K, Type::Q6_K, Type::Q8_0, Type::F32, Type::F16, Type::BF16}) {
    for (int variant = 0; variant < 3; ++variant) {
      if (variant > 0 && info(t).block_values == 1) continue;  // random bytes: NaN floats
      INFO(name(t) << " variant " << variant);
      const std::vector<std::uint8_t> row = make_row(t, n, r, variant);
      const std::vector<float> x = activations(n, r);
      std::vector<float> w(n);
      dequantize_row(t, row.data(), w.data(), n);
      double ref = 0, mag = 0;
      for (int i = 0; i < n; ++i) { ref += double(w[i]) * x[i]; mag += std::fabs(double(w[i]) * x[i]); }
      const float s = dot_f32(t, row.data(), x.data(), n, Isa::scalar);
      CHECK(std::fabs(s - ref) <= dot_f32_bound(n, mag) / 2);
      if (isa_supported(Isa::avx2)) {
        const float v = dot_f32(t, row.data(), x.data(), n, Isa::avx2);
        CHECK(std::fabs(double(v) - s) <= dot_f32_bound(n, mag));
        CHECK(std::fabs(v - ref) <= dot_f32_bound(n, mag) / 2);
      }
    }
  }
}

TEST_CASE("dot products reject partial blocks and unknown ISAs cleanly") {
  std::vector<std::uint8_t> row(144);
  std::vector<float> x(256);
  CHECK_THROWS_WITH(dot_f32(Type::Q4_K, row.data(), x.data(), 200), Catch::Contains("block size"));
  CHECK_THROWS(dot_q8k(Type::Q8_0, row.data(), nullptr, 32));
}

TEST_CASE("dot_q8k: AVX2 equals scalar for arbitrary Q8_K bytes, -128 included") {
  if (!isa_supported(Isa::avx2)) return;  // nothing to compare; the scalar path is covered above
  INFO("seed " << kSeed + 2);
  Rng r(kSeed + 2);
  const int n = 1024;
  for (int round = 0; round < 20; ++round) {
    std::vector<BlockQ8K> xq(n / 256);
    for (BlockQ8K& b : xq) {
      b.d = 0.001f + r.uniform();
      for (auto& q : b.qs) q = static_cast<std::int8_t>(round % 2 ? -128 : static_cast<int>(r.next() & 0xFF) - 128);
      for (int g = 0; g < 16; ++g) {  // bsums consistent with qs, as the format requires
        int s = 0;
        for (int l = 0; l < 16; ++l) s += b.qs[16 * g + l];
        b.bsums[g] = static_cast<std::int16_t>(s);
      }
    }
    for (Type t : {Type::Q4_K, Type::Q6_K, Type::Q8_0}) {
      INFO(name(t) << " round " << round);
      const std::vector<std::uint8_t> row = make_row(t, n, r, round % 3);
      const float s = dot_q8k(t, row.data(), xq.data(), n, Isa::scalar);
      const float v = dot_q8k(t, row.data(), xq.data(), n, Isa::avx2);
      CHECK(std::bit_cast<std::uint32_t>(v) == std::bit_cast<std::uint32_t>(s));
    }
  }
}
