// Block layouts and scalar formats, checked against values computed by hand from the format
// definitions in moe-facts.md (not from our own dequantiser).
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "engine/quant/blocks.hpp"
#include "engine/quant/dequant.hpp"
#include "engine/quant/f16.hpp"
#include "engine/quant/scales.hpp"

using namespace pv::engine::quant;

TEST_CASE("block field offsets match the GGUF definitions") {
  STATIC_REQUIRE(offsetof(BlockQ4K, d) == 0);
  STATIC_REQUIRE(offsetof(BlockQ4K, dmin) == 2);
  STATIC_REQUIRE(offsetof(BlockQ4K, scales) == 4);
  STATIC_REQUIRE(offsetof(BlockQ4K, qs) == 16);
  STATIC_REQUIRE(offsetof(BlockQ6K, ql) == 0);
  STATIC_REQUIRE(offsetof(BlockQ6K, qh) == 128);
  STATIC_REQUIRE(offsetof(BlockQ6K, scales) == 192);
  STATIC_REQUIRE(offsetof(BlockQ6K, d) == 208);
  STATIC_REQUIRE(offsetof(BlockQ8_0, qs) == 2);
  STATIC_REQUIRE(offsetof(BlockQ8K, qs) == 4);
  STATIC_REQUIRE(offsetof(BlockQ8K, bsums) == 260);
  CHECK(row_bytes(Type::Q4_K, 2048) == 8 * 144);
  CHECK(row_bytes(Type::Q6_K, 768) == 3 * 210);
  CHECK(row_bytes(Type::Q8_0, 64) == 68);
  CHECK(std::string(name(Type::Q6_K)) == "Q6_K");
  CHECK(type_from_name("q4_k") == Type::Q4_K);
  CHECK_FALSE(type_info(2).has_value());  // Q4_0: not supported here
}

TEST_CASE("f16 conversion is exact and round-trips every non-NaN bit pattern") {
  CHECK(f16_to_f32(0x3C00) == 1.0f);
  CHECK(f16_to_f32(0xC000) == -2.0f);
  CHECK(f16_to_f32(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(f16_to_f32(0x7BFF) == 65504.0f);
  CHECK(std::isinf(f16_to_f32(0x7C00)));
  CHECK(std::isnan(f16_to_f32(0x7E00)));
  int checked = 0;
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const float f = f16_to_f32(static_cast<std::uint16_t>(h));
    if (std::isnan(f)) continue;
    REQUIRE(f32_to_f16(f) == h);
    ++checked;
  }
  CHECK(checked == 65536 - 2046);  // all but the 2 x 1023 NaN patterns
  CHECK(f32_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);  // tie rounds to even
  CHECK(f32_to_f16(1e6f) == 0x7C00);                           // overflow -> inf
  CHECK(f32_to_bf16(1.0f) == 0x3F80);
  CHECK(bf16_to_f32(0xC040) == -3.0f);
}

TEST_CASE("Q4_K scale/min packing follows the 6-bit layout") {
  std::uint8_t sc[8] = {1, 2, 3, 63, 17, 33, 48, 62}, m[8] = {5, 0, 63, 7, 40, 9, 21, 63};
  std::uint8_t packed[12];
  pack_q4k_scales(sc, m, packed);
  // By hand from the definition: j >= 4 takes low 4 bits from s[j+4], high 2 from s[j-4] >> 6.
  CHECK((packed[0] & 63) == 1);
  CHECK((packed[8] & 15) == (17 & 15));
  CHECK((packed[0] >> 6) == (17 >> 4));
  const ScaleMin u = unpack_q4k_scales(packed);
  for (int j = 0; j < 8; ++j) {
    CHECK(u.sc[j] == sc[j]);
    CHECK(u.m[j] == m[j]);
  }
}

TEST_CASE("Q4_K dequantisation of a hand-built block") {
  BlockQ4K b{};
  b.d = f32_to_f16(0.5f);
  b.dmin = f32_to_f16(0.25f);
  std::uint8_t sc[8] = {1, 2, 3, 4, 5, 6, 7, 8}, m[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  pack_q4k_scales(sc, m, b.scales);
  for (int l = 0; l < 128; ++l) b.qs[l] = static_cast<std::uint8_t>((l % 16) | ((15 - l % 16) << 4));
  float y[256];
  dequantize_q4k(b, y);
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      const int j0 = 2 * c, j1 = 2 * c + 1, q0 = (32 * c + l) % 16, q1 = 15 - q0;
      CHECK(y[64 * c + l] == 0.5f * sc[j0] * q0 - 0.25f * m[j0]);
      CHECK(y[64 * c + 32 + l] == 0.5f * sc[j1] * q1 - 0.25f * m[j1]);
    }
}

TEST_CASE("Q6_K dequantisation of a hand-built block") {
  BlockQ6K b{};
  b.d = f32_to_f16(0.125f);
  for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<std::int8_t>(j - 8);
  // Value v gets q = v % 64 (6 bits), written into ql/qh per the layout in moe-facts.md.
  for (int v = 0; v < 256; ++v) {
    const int h = v / 128, r = v % 128, l = r % 32, k = r / 32, q = v % 64;
    const int qli = 64 * h + l + (k % 2) * 32;
    b.ql[qli] = static_cast<std::uint8_t>(b.ql[qli] | ((q & 0xF) << (k / 2 * 4)));
    b.qh[32 * h + l] = static_cast<std::uint8_t>(b.qh[32 * h + l] | ((q >> 4) << (2 * k)));
  }
  float y[256];
  dequantize_q6k(b, y);
  for (int v = 0; v < 256; ++v) CHECK(y[v] == 0.125f * static_cast<float>(v / 16 - 8) * static_cast<float>(v % 64 - 32));
}

TEST_CASE("dequantize_row rejects lengths that are not whole blocks") {
  std::uint8_t buf[144] = {};
  float y[256];
  CHECK_THROWS_WITH(dequantize_row(Type::Q4_K, buf, y, 100), Catch::Contains("block size 256"));
  CHECK_THROWS(dequantize_row(Type::Q8_0, buf, y, 0));
}
