#pragma once
// Q4_K packs eight (6-bit scale, 6-bit min) pairs into 12 bytes (layout in moe-facts.md):
//   j < 4:  sc = s[j] & 63,                           m = s[j+4] & 63
//   j >= 4: sc = (s[j+4] & 15) | ((s[j-4] >> 6) << 4), m = (s[j+4] >> 4) | ((s[j] >> 6) << 4)
// Every Q4_K dequantisation and dot product unpacks through here, so the planted fault
// q4k_scale_unpack (scale and min swapped for j >= 4) reaches all of them.
#include <cstdint>

#include "engine/moe/fault.hpp"

namespace pv::engine::quant {

struct ScaleMin {
  std::uint8_t sc[8];
  std::uint8_t m[8];
};

inline ScaleMin unpack_q4k_scales(const std::uint8_t* s) {
  ScaleMin r{};
  for (int j = 0; j < 4; ++j) {
    r.sc[j] = s[j] & 63;
    r.m[j] = s[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    r.sc[j] = static_cast<std::uint8_t>((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
    r.m[j] = static_cast<std::uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
  if (PV_FAULT(q4k_scale_unpack)) {
    for (int j = 4; j < 8; ++j) {
      const std::uint8_t t = r.sc[j];
      r.sc[j] = r.m[j];
      r.m[j] = t;
    }
  }
  return r;
}

// Inverse of the unpacking (without the fault); sc and m must be < 64.
inline void pack_q4k_scales(const std::uint8_t* sc, const std::uint8_t* m, std::uint8_t* s) {
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<std::uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = static_cast<std::uint8_t>((m[j] & 63) | ((m[j + 4] >> 4) << 6));
    s[j + 8] = static_cast<std::uint8_t>((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
  }
}

}  // namespace pv::engine::quant
