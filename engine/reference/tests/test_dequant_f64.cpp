// The oracle's own dequantisation: hand-built blocks with known values, and agreement with
// engine/quant's f32 dequantisation (written independently) on random quantised rows.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "engine/quant/dequant.hpp"
#include "engine/quant/quantize.hpp"
#include "engine/reference/dequant_f64.hpp"
#include "engine/synth/rng.hpp"

using namespace pv::engine;

namespace {
ExpertTensor one_row(quant::Type t, std::vector<std::uint8_t>& bytes, int cols) {
  ExpertTensor e;
  e.name = "test";
  e.type = t;
  e.data = bytes.data();
  e.n_experts = 1;
  e.rows = 1;
  e.cols = cols;
  return e;
}
}  // namespace

TEST_CASE("f16 and bf16 decode to the exact values") {
  CHECK(reference::f16_to_double(0x3C00) == 1.0);
  CHECK(reference::f16_to_double(0xC000) == -2.0);
  CHECK(reference::f16_to_double(0x3555) == 0x1.554p-2);
  CHECK(reference::f16_to_double(0x0001) == std::ldexp(1.0, -24));  // smallest subnormal
  CHECK(reference::f16_to_double(0x7BFF) == 65504.0);
  CHECK(std::isinf(reference::f16_to_double(0x7C00)));
  CHECK(std::isnan(reference::f16_to_double(0x7E00)));
  CHECK(reference::bf16_to_double(0x3F80) == 1.0);
  CHECK(reference::bf16_to_double(0xC0A0) == -5.0);
}

TEST_CASE("a hand-packed Q4_K block decodes as d * sc * q - dmin * m") {
  // Sub-block j gets scale 7 j + 3 and min 9 j (6-bit values; j >= 4 spill their top 2 bits).
  std::vector<std::uint8_t> b(144, 0);
  b[0] = 0x00; b[1] = 0x3C;  // d = 1.0
  b[2] = 0x00; b[3] = 0x38;  // dmin = 0.5
  std::uint8_t* s = &b[4];
  int sc[8], mn[8];
  for (int j = 0; j < 8; ++j) { sc[j] = 7 * j + 3; mn[j] = 9 * j; }  // 6-bit; j >= 4 use the top bits
  for (int j = 0; j < 4; ++j) {
    s[j] = std::uint8_t((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = std::uint8_t((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
    s[j + 8] = std::uint8_t((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
  }
  for (int i = 0; i < 128; ++i) b[16 + i] = std::uint8_t((i % 16) | ((15 - i % 16) << 4));
  const auto y = reference::dequantise_row(one_row(quant::Type::Q4_K, b, 256), 0, 0);
  for (int v = 0; v < 256; ++v) {
    const int j = v / 32, chunk = v / 64, l = v % 32;
    const int byte = 16 * 0 + (32 * chunk + l) % 16;  // b[16 + 32 chunk + l] low nibble = (32 chunk + l) % 16
    const int q = (j % 2 == 0) ? byte : 15 - byte;
    INFO("value " << v);
    CHECK(y[v] == 1.0 * sc[j] * q - 0.5 * mn[j]);
  }
}

TEST_CASE("a hand-packed Q6_K block decodes as d * scale * (q - 32)") {
  std::vector<std::uint8_t> b(210, 0);
  // Every value q = 37 (low 4 bits 5, high 2 bits 2): ql nibbles 5, qh pairs 2 (0b10101010).
  for (int i = 0; i < 128; ++i) b[i] = 0x55;
  for (int i = 0; i < 64; ++i) b[128 + i] = 0xAA;
  for (int i = 0; i < 16; ++i) b[192 + i] = static_cast<std::uint8_t>(static_cast<std::int8_t>(i - 8));
  b[208] = 0x00; b[209] = 0x40;  // d = 2.0
  const auto y = reference::dequantise_row(one_row(quant::Type::Q6_K, b, 256), 0, 0);
  for (int v = 0; v < 256; ++v) {
    const int half = v / 128, l = v % 128 % 32, quarter = v % 128 / 32;
    const int scale = (half * 8 + l / 16 + 2 * quarter) - 8;
    INFO("value " << v);
    CHECK(y[v] == 2.0 * scale * 5);
  }
}

TEST_CASE("f64 dequantisation agrees with engine/quant's f32 dequantisation") {
  const std::uint64_t seed = 77;
  synth::Rng rng(seed);
  INFO("seed " << seed);
  for (quant::Type t : {quant::Type::Q4_K, quant::Type::Q6_K, quant::Type::Q8_0, quant::Type::F16, quant::Type::BF16}) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<float> x(512);
      const float scale = std::ldexp(1.0f, int(rng.below(20)) - 10);
      for (float& v : x) v = rng.gauss() * scale;
      std::vector<std::uint8_t> bytes(quant::row_bytes(t, 512));
      quant::quantize_row(t, x.data(), bytes.data(), 512);
      std::vector<float> f(512);
      quant::dequantize_row(t, bytes.data(), f.data(), 512);
      const auto d = reference::dequantise_row(one_row(t, bytes, 512), 0, 0);
      for (int i = 0; i < 512; ++i) {
        // quant rounds d*sc*q and dmin*m to f32 and subtracts in f32: three roundings of
        // values no larger than the operands, so |f32 - exact| <= 3 u max(|d sc q|, |dmin m|)
        // <= 3 u (|exact| + 2 |dmin m|); we bound |dmin m| by the block's largest magnitude.
        INFO(quant::name(t) << " value " << i << ": f64 " << d[i] << " f32 " << f[i]);
        CHECK(std::abs(double(f[i]) - d[i]) <= 3 * 0x1p-24 * (std::abs(d[i]) + 2 * 8 * scale));
      }
    }
  }
}
