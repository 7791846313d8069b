// dot_q8k_multi equals quant::dot_q8k per token, bit for bit, for every type, ISA and count
// (including counts that are not a multiple of the kernel's token tile).
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "engine/cpu/dot_multi.hpp"
#include "engine/quant/quantize.hpp"
#include "engine/synth/rng.hpp"

using namespace pv::engine;

TEST_CASE("dot_q8k_multi is bit-identical to quant::dot_q8k per token") {
  const std::uint64_t seed = 93;
  INFO("seed " << seed);
  synth::Rng rng(seed);
  for (int n : {256, 768, 2048}) {
    for (quant::Type t : {quant::Type::Q4_K, quant::Type::Q6_K, quant::Type::Q8_0, quant::Type::F16}) {
      std::vector<float> src(n);
      for (float& v : src) v = rng.gauss();
      std::vector<std::uint8_t> row(quant::row_bytes(t, n));
      quant::quantize_row(t, src.data(), row.data(), n);
      if (t == quant::Type::Q4_K && n == 2048)  // random scale bytes too: every 6-bit pattern
        for (int b = 0; b < n / 256; ++b)
          for (int j = 4; j < 16; ++j) row[std::size_t(b) * 144 + j] = static_cast<std::uint8_t>(rng.below(256));
      const int count = 22;
      std::vector<std::vector<quant::BlockQ8K>> xs(count, std::vector<quant::BlockQ8K>(n / 256));
      std::vector<const quant::BlockQ8K*> ptrs;
      for (auto& x : xs) {
        std::vector<float> f(n);
        const float scale = float(1 + rng.below(100));
        for (float& v : f) v = rng.gauss() * scale;
        quant::quantize_row_q8k(f.data(), x.data(), n);
        ptrs.push_back(x.data());
      }
      for (quant::Isa isa : {quant::Isa::scalar, quant::best_isa()}) {
        std::vector<float> out(count);
        // every tile shape: a single token, two, and 19 (two full tiles of 8 and a rest of 3)
        cpu::dot_q8k_multi(t, row.data(), n, ptrs.data(), 1, out.data(), isa);
        cpu::dot_q8k_multi(t, row.data(), n, ptrs.data() + 1, 2, out.data() + 1, isa);
        cpu::dot_q8k_multi(t, row.data(), n, ptrs.data() + 3, count - 3, out.data() + 3, isa);
        for (int i = 0; i < count; ++i) {
          const float ref = quant::dot_q8k(t, row.data(), ptrs[i], n, isa);
          INFO(quant::name(t) << " n " << n << " token " << i << " isa " << quant::to_string(isa) << ": " << out[i]
                              << " vs " << ref);
          REQUIRE(std::memcmp(&out[i], &ref, 4) == 0);
        }
      }
    }
  }
}
