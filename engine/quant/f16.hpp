#pragma once
// IEEE binary16 and bfloat16 <-> binary32, bit-exact and independent of the host's FPU modes.
// f16 -> f32 is exact for every input (subnormals, infinities, NaN payloads kept in the top
// bits). f32 -> f16 and f32 -> bf16 round to nearest, ties to even, as numpy and ggml do.
#include <bit>
#include <cstdint>

namespace pv::engine::quant {

inline float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1Fu;
  std::uint32_t man = h & 0x3FFu;
  std::uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (man << 13);  // inf or NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (man << 13);  // 112 = 127 - 15
  } else if (man == 0) {
    bits = sign;  // +-0
  } else {
    // Subnormal: value = man * 2^-24; normalise the mantissa.
    exp = 113;  // exponent of 2^-14 in f32 bias (127 - 14)
    while ((man & 0x400u) == 0) {
      man <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((man & 0x3FFu) << 13);
  }
  return std::bit_cast<float>(bits);
}

inline std::uint16_t f32_to_f16(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t exp = (x >> 23) & 0xFFu;
  std::uint32_t man = x & 0x7FFFFFu;
  if (exp == 0xFF)  // inf stays inf, NaN stays a (quiet) NaN
    return static_cast<std::uint16_t>(sign | 0x7C00u | (man ? (0x200u | (man >> 13)) : 0u));
  const int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 31) return static_cast<std::uint16_t>(sign | 0x7C00u);  // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign;  // below half the smallest subnormal -> +-0
    man |= 0x800000u;          // implicit bit
    const int shift = 14 - e;  // 13 + (1 - e)
    std::uint32_t q = man >> shift;
    const std::uint32_t rem = man & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return static_cast<std::uint16_t>(sign | q);
  }
  std::uint32_t q = (static_cast<std::uint32_t>(e) << 10) | (man >> 13);
  const std::uint32_t rem = man & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (q & 1u))) ++q;  // carry may round up to inf: right
  return static_cast<std::uint16_t>(sign | q);
}

inline float bf16_to_f32(std::uint16_t b) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

inline std::uint16_t f32_to_bf16(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  const std::uint32_t rounded = x + 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<std::uint16_t>(rounded >> 16);
}

}  // namespace pv::engine::quant
