#pragma once
// Bit-exact block layouts of the GGUF quantisation formats (little-endian, no padding).
#include <cstdint>

#include "engine/quant/types.hpp"

namespace pv::engine::quant {

using f16_bits = std::uint16_t;  // IEEE binary16, stored as bits

struct BlockQ4K {                // 144 bytes per 256 values
  f16_bits d;                    // super-block scale for the 6-bit scales
  f16_bits dmin;                 // super-block scale for the 6-bit mins
  std::uint8_t scales[12];       // 8 x (6-bit scale, 6-bit min), packed
  std::uint8_t qs[QK_K / 2];     // 4-bit quants
};
static_assert(sizeof(BlockQ4K) == 144);

struct BlockQ6K {                // 210 bytes per 256 values
  std::uint8_t ql[QK_K / 2];     // low 4 bits
  std::uint8_t qh[QK_K / 4];     // high 2 bits
  std::int8_t scales[QK_K / 16]; // 8-bit sub-block scales
  f16_bits d;
};
static_assert(sizeof(BlockQ6K) == 210);

struct BlockQ8_0 {               // 34 bytes per 32 values
  f16_bits d;
  std::int8_t qs[QK8_0];
};
static_assert(sizeof(BlockQ8_0) == 34);

struct BlockQ8K {                // 292 bytes per 256 values (activation format)
  float d;
  std::int8_t qs[QK_K];
  std::int16_t bsums[QK_K / 16]; // sums of 16-value groups
};
static_assert(sizeof(BlockQ8K) == 292);

}  // namespace pv::engine::quant
