// dot_q8k_multi equals quant::dot_q8k per token, bit for bit, for every type, ISA and count
// (including counts that are not a multiple of the kernel's token tile).
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "engine/cpu/dot_exact.hpp"
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

// dot_q8k_pair (decode's gate and up rows together) equals quant::dot_q8k per row and token,
// bit for bit, including blocks whose d or dmin is an infinity or a NaN (the software f16 path)
// and random scale bytes.
TEST_CASE("dot_q8k_pair is bit-identical to quant::dot_q8k per row") {
  const std::uint64_t seed = 94;
  INFO("seed " << seed);
  synth::Rng rng(seed);
  const int n = 2048, nb = n / 256;
  for (quant::Type t : {quant::Type::Q4_K, quant::Type::Q6_K}) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<std::vector<std::uint8_t>> rows(2, std::vector<std::uint8_t>(quant::row_bytes(t, n)));
      for (auto& row : rows) {
        std::vector<float> src(n);
        for (float& v : src) v = rng.gauss();
        quant::quantize_row(t, src.data(), row.data(), n);
        if (t == quant::Type::Q4_K && trial % 2 == 1)
          for (int b = 0; b < nb; ++b)
            for (int j = 4; j < 16; ++j) row[std::size_t(b) * 144 + j] = static_cast<std::uint8_t>(rng.below(256));
        if (t == quant::Type::Q4_K && trial % 5 == 4) {  // an inf or NaN d/dmin in one block
          const std::uint16_t special[] = {0x7C00, 0xFC00, 0x7E01, 0x7C01};
          const std::uint16_t h = special[rng.below(4)];
          std::memcpy(&row[std::size_t(rng.below(nb)) * 144 + 2 * rng.below(2)], &h, 2);
        }
      }
      const int count = 1 + trial % 3;
      std::vector<std::vector<quant::BlockQ8K>> xs(count, std::vector<quant::BlockQ8K>(nb));
      std::vector<const quant::BlockQ8K*> ptrs;
      for (auto& x : xs) {
        std::vector<float> f(n);
        for (float& v : f) v = rng.gauss() * float(1 + rng.below(100));
        quant::quantize_row_q8k(f.data(), x.data(), n);
        ptrs.push_back(x.data());
      }
      for (quant::Isa isa : {quant::Isa::scalar, quant::best_isa()}) {
        std::vector<float> oa(count), ob(count);
        cpu::dot_q8k_pair(t, rows[0].data(), rows[1].data(), n, ptrs.data(), count, oa.data(), ob.data(), isa);
        for (int i = 0; i < count; ++i) {
          const float ra = quant::dot_q8k(t, rows[0].data(), ptrs[i], n, isa);
          const float rb = quant::dot_q8k(t, rows[1].data(), ptrs[i], n, isa);
          INFO(quant::name(t) << " trial " << trial << " token " << i << " isa " << quant::to_string(isa) << ": "
                              << oa[i] << " vs " << ra << ", " << ob[i] << " vs " << rb);
          REQUIRE(std::memcmp(&oa[i], &ra, 4) == 0);
          REQUIRE(std::memcmp(&ob[i], &rb, 4) == 0);
        }
      }
    }
  }
}

// dot_f32_row_pair (the exact mode's gate and up rows of one token) equals quant::dot_f32 for
// each row, bit for bit.
TEST_CASE("dot_f32_row_pair is bit-identical to quant::dot_f32") {
  const std::uint64_t seed = 95;
  INFO("seed " << seed);
  synth::Rng rng(seed);
  for (int n : {256, 768, 2048})
    for (quant::Type t : {quant::Type::Q4_K, quant::Type::Q6_K, quant::Type::Q8_0, quant::Type::F32}) {
      for (int trial = 0; trial < 6; ++trial) {
        std::vector<float> src(n), x(n);
        for (float& v : src) v = rng.gauss();
        for (float& v : x) v = rng.gauss() * float(1 + rng.below(100));
        std::vector<std::uint8_t> row(quant::row_bytes(t, n));
        quant::quantize_row(t, src.data(), row.data(), n);
        if (t == quant::Type::Q4_K && trial % 2 == 1)  // random scale bytes
          for (int b = 0; b < n / 256; ++b)
            for (int j = 4; j < 16; ++j) row[std::size_t(b) * 144 + j] = static_cast<std::uint8_t>(rng.below(256));
        for (quant::Isa isa : {quant::Isa::scalar, quant::best_isa()}) {
          const float ref = quant::dot_f32(t, row.data(), x.data(), n, isa);
          // the pair kernel: this row as either member of a pair with a second random row
          std::vector<float> src2(n);
          for (float& v : src2) v = rng.gauss();
          std::vector<std::uint8_t> row2(row.size());
          quant::quantize_row(t, src2.data(), row2.data(), n);
          const float ref2 = quant::dot_f32(t, row2.data(), x.data(), n, isa);
          INFO(quant::name(t) << " n " << n << " trial " << trial << " isa " << quant::to_string(isa));
          float pa = 0, pb = 0;
          cpu::dot_f32_row_pair(t, row.data(), row2.data(), x.data(), n, &pa, &pb, isa);
          REQUIRE(std::memcmp(&pa, &ref, 4) == 0);
          REQUIRE(std::memcmp(&pb, &ref2, 4) == 0);
          cpu::dot_f32_row_pair(t, row2.data(), row.data(), x.data(), n, &pa, &pb, isa);
          REQUIRE(std::memcmp(&pa, &ref2, 4) == 0);
          REQUIRE(std::memcmp(&pb, &ref, 4) == 0);
        }
      }
    }
}
