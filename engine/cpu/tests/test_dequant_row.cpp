// The engine's row expansion (exact mode) is bit-identical to quant::dequantize_row, on rows
// quantised from random data and on rows of random bytes (any scale bits the format allows).
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "engine/cpu/dequant_row.hpp"
#include "engine/quant/dequant.hpp"
#include "engine/quant/f16.hpp"
#include "engine/quant/quantize.hpp"
#include "engine/synth/rng.hpp"

using namespace pv::engine;

TEST_CASE("dequantise_row matches quant::dequantize_row bit for bit") {
  const std::uint64_t seed = 91;
  INFO("seed " << seed);
  synth::Rng rng(seed);
  const int n = 512;
  for (quant::Type t : {quant::Type::Q4_K, quant::Type::Q6_K, quant::Type::Q8_0, quant::Type::F16,
                        quant::Type::BF16, quant::Type::F32}) {
    for (int trial = 0; trial < 40; ++trial) {
      std::vector<std::uint8_t> row(quant::row_bytes(t, n));
      if (trial % 2 == 0) {
        std::vector<float> x(n);
        for (float& v : x) v = rng.gauss();
        quant::quantize_row(t, x.data(), row.data(), n);
      } else {
        for (auto& b : row) b = static_cast<std::uint8_t>(rng.below(256));
        // Keep f16/bf16/f32 values and block scales finite: clear exponent-all-ones patterns
        // by re-quantising float types; K-quant scales with random bits are fine unless Inf/NaN.
        if (t == quant::Type::F16 || t == quant::Type::BF16 || t == quant::Type::F32) {
          std::vector<float> x(n);
          for (float& v : x) v = rng.gauss() * 1000.0f;
          quant::quantize_row(t, x.data(), row.data(), n);
        }
      }
      std::vector<float> a(n), b(n);
      quant::dequantize_row(t, row.data(), a.data(), n);
      for (quant::Isa isa : {quant::Isa::scalar, quant::best_isa()}) {
        cpu::dequantise_row(t, row.data(), b.data(), n, isa);
        for (int i = 0; i < n; ++i) {
          if (a[i] != a[i]) {  // NaN from random f16 scale bits: must be NaN in both
            REQUIRE(b[i] != b[i]);
            continue;
          }
          INFO(quant::name(t) << " trial " << trial << " value " << i << " isa " << quant::to_string(isa));
          REQUIRE(std::memcmp(&a[i], &b[i], 4) == 0);
        }
      }
    }
  }
}

TEST_CASE("dot_expanded of an expanded row equals the fused quant::dot_f32 bit for bit") {
  const std::uint64_t seed = 92;
  INFO("seed " << seed);
  synth::Rng rng(seed);
  for (int n : {256, 768, 2048}) {
    for (quant::Type t : {quant::Type::Q4_K, quant::Type::Q6_K, quant::Type::Q8_0, quant::Type::F16,
                          quant::Type::BF16, quant::Type::F32}) {
      for (int trial = 0; trial < 10; ++trial) {
        std::vector<float> src(n), x(n), w(n);
        for (float& v : src) v = rng.gauss();
        for (float& v : x) v = rng.gauss();
        std::vector<std::uint8_t> row(quant::row_bytes(t, n));
        quant::quantize_row(t, src.data(), row.data(), n);
        for (quant::Isa isa : {quant::Isa::scalar, quant::best_isa()}) {
          cpu::dequantise_row(t, row.data(), w.data(), n, isa);
          const float fused = quant::dot_f32(t, row.data(), x.data(), n, isa);
          const float expanded = cpu::dot_expanded(t, w.data(), x.data(), n, isa);
          INFO(quant::name(t) << " n " << n << " trial " << trial << " isa " << quant::to_string(isa) << ": fused "
                              << fused << " expanded " << expanded);
          REQUIRE(std::memcmp(&fused, &expanded, 4) == 0);
        }
      }
    }
  }
}
