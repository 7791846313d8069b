#pragma once
// Device-side decoding of the GGUF block formats (layouts: engine/quant/blocks.hpp and
// shared/docs/moe-facts.md). Two views of a weight row:
//  * dot_unit: a 64-value "unit" of a row dotted with f32 activations (GEMV kernels). Units
//    partition a row: Q4_K unit u = 64-value chunk u&3 of super-block u>>2; Q6_K unit u = the
//    16 l-values [16(u&1), 16(u&1)+16) of half (u>>1)&1 of super-block u>>2, i.e. 4 groups of 16
//    values 32 apart; Q8_0 unit u = blocks 2u and 2u+1.
// Activations sit in shared memory in a padded layout, value i at xp(i) = i + 4*(i/64), so
// lanes that read different units at the same offset hit different banks.
#include <cstdint>

#include <cuda_fp16.h>

namespace pv::engine::cuda {

enum DevType : int { kQ8_0 = 8, kQ4_K = 12, kQ6_K = 14 };

__host__ __device__ constexpr int xp(int i) { return i + ((i >> 6) << 2); }
__host__ __device__ constexpr int padded_len(int n) { return xp(n); }  // n multiple of 64

__device__ __forceinline__ float h2f(std::uint32_t bits16) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(bits16 & 0xFFFFu)));
}
__device__ __forceinline__ std::uint32_t byte_of(std::uint32_t w, int b) { return (w >> (8 * b)) & 0xFFu; }
__device__ __forceinline__ std::uint32_t word_of(const uint4& v, int i) {
  return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}
// Byte k (0..15) of a 16-byte vector; k may be a run-time value (selects, no local memory).
__device__ __forceinline__ std::uint32_t byte16(const uint4& v, int k) {
  return byte_of(word_of(v, k >> 2), k & 3);
}
// 16 bytes from a 2-byte-aligned address (Q6_K and Q8_0 blocks are 210 and 34 bytes long).
__device__ __forceinline__ uint4 load16_a2(const std::uint8_t* p) {
  const unsigned short* s = reinterpret_cast<const unsigned short*>(p);
  uint4 v;
  v.x = s[0] | (std::uint32_t(s[1]) << 16);
  v.y = s[2] | (std::uint32_t(s[3]) << 16);
  v.z = s[4] | (std::uint32_t(s[5]) << 16);
  v.w = s[6] | (std::uint32_t(s[7]) << 16);
  return v;
}
// The same 16 bytes from five aligned words and funnel shifts (5 loads, not 8). It reads up to 4
// bytes past the 16, so only for fields with room behind them inside their block: Q6_K's ql and
// qh runs end at least 18 bytes before the block does.
__device__ __forceinline__ uint4 load16_a2_words(const std::uint8_t* p) {
  // p - off, not an integer cast back to a pointer: the compiler then still sees a shared-memory
  // row as one and loads it with LDS (a generic LD costs more latency).
  const unsigned off = unsigned(reinterpret_cast<std::uintptr_t>(p) & 3);
  const std::uint32_t* w = reinterpret_cast<const std::uint32_t*>(p - off);
  const unsigned sh = 8u * off;  // 0 or 16
  const std::uint32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4];
  return make_uint4(__funnelshift_r(w0, w1, sh), __funnelshift_r(w1, w2, sh), __funnelshift_r(w2, w3, sh),
                    __funnelshift_r(w3, w4, sh));
}

// Q4_K 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes at header bytes 4..15
// (words hdr.y, hdr.z, hdr.w). j may be a run-time value: one PRMT per byte picked.
__device__ __forceinline__ void q4k_scale_min(const uint4& hdr, int j, float& sc, float& m) {
  const unsigned sel = 0x4440u | unsigned(j & 3);
  const std::uint32_t by = __byte_perm(hdr.y, 0u, sel), bz = __byte_perm(hdr.z, 0u, sel);
  if (j < 4) {
    sc = float(by & 63);
    m = float(bz & 63);
  } else {
    const std::uint32_t bw = __byte_perm(hdr.w, 0u, sel);
    sc = float((bw & 0xF) | ((by >> 6) << 4));
    m = float((bw >> 4) | ((bz >> 6) << 4));
  }
}

// Byte i (0..3, a compile-time constant) of w as the float 2^23 + byte, built with one PRMT
// (no int-to-float conversion, which runs at a quarter of the FP32 rate): subtracting 2^23
// (+ an offset) afterwards is exact, so the weights enter the dot products unrounded.
__device__ __forceinline__ float u8_plus_2p23(std::uint32_t w, int i) {
  return __int_as_float(static_cast<int>(__byte_perm(w, 0x4Bu, 0x4550u | unsigned(i))));
}
constexpr float k2p23 = 8388608.f;

// Q4_K: value = d*sc*q - dmin*m, so a unit's dot is d*(sc0*sum q x + sc1*...) -
// dmin*(m0*sum x + m1*...); xsum[g] holds the sum of x over 32-value group g (computed once
// per block, it is the same for every row).
__device__ __forceinline__ float dot_unit_q4k(const std::uint8_t* row, int u, const float* xs,
                                              const float* xsum) {
  const std::uint8_t* blk = row + (u >> 2) * 144;
  const int c = u & 3;
  const uint4 hdr = *reinterpret_cast<const uint4*>(blk);
  const uint4 qa = *reinterpret_cast<const uint4*>(blk + 16 + 32 * c);
  const uint4 qb = *reinterpret_cast<const uint4*>(blk + 32 + 32 * c);
  const float4* x = reinterpret_cast<const float4*>(xs + xp(64 * u));
  float s0 = 0.f, s1 = 0.f;
#pragma unroll
  for (int w = 0; w < 8; ++w) {
    const std::uint32_t q = w < 4 ? word_of(qa, w) : word_of(qb, w - 4);
    const std::uint32_t lo = q & 0x0F0F0F0Fu, hi = (q >> 4) & 0x0F0F0F0Fu;
    const float4 xl = x[w], xh = x[8 + w];
    s0 += (u8_plus_2p23(lo, 0) - k2p23) * xl.x + (u8_plus_2p23(lo, 1) - k2p23) * xl.y +
          (u8_plus_2p23(lo, 2) - k2p23) * xl.z + (u8_plus_2p23(lo, 3) - k2p23) * xl.w;
    s1 += (u8_plus_2p23(hi, 0) - k2p23) * xh.x + (u8_plus_2p23(hi, 1) - k2p23) * xh.y +
          (u8_plus_2p23(hi, 2) - k2p23) * xh.z + (u8_plus_2p23(hi, 3) - k2p23) * xh.w;
  }
  float sc0, mn0, sc1, mn1;
  q4k_scale_min(hdr, 2 * c, sc0, mn0);
  q4k_scale_min(hdr, 2 * c + 1, sc1, mn1);
  const float d = h2f(hdr.x), dmin = h2f(hdr.x >> 16);
  return d * (sc0 * s0 + sc1 * s1) - dmin * (mn0 * xsum[2 * u] + mn1 * xsum[2 * u + 1]);
}

__device__ __forceinline__ float dot_unit_q6k(const std::uint8_t* row, int u, const float* xs) {
  const std::uint8_t* blk = row + (u >> 2) * 210;
  const int h = (u >> 1) & 1, l0 = 16 * (u & 1);
  const uint4 la = load16_a2_words(blk + 64 * h + l0);
  const uint4 lb = load16_a2_words(blk + 64 * h + 32 + l0);
  const uint4 hh = load16_a2_words(blk + 128 + 32 * h + l0);
  const signed char* sc = reinterpret_cast<const signed char*>(blk + 192 + 8 * h + (u & 1));
  const float d = h2f(*reinterpret_cast<const unsigned short*>(blk + 208));
  const int base = 256 * (u >> 2) + 128 * h + l0;
  const float4* x0 = reinterpret_cast<const float4*>(xs + xp(base));
  const float4* x1 = reinterpret_cast<const float4*>(xs + xp(base + 32));
  const float4* x2 = reinterpret_cast<const float4*>(xs + xp(base + 64));
  const float4* x3 = reinterpret_cast<const float4*>(xs + xp(base + 96));
  constexpr float off = k2p23 + 32.f;  // q - 32
  float g0 = 0.f, g1 = 0.f, g2 = 0.f, g3 = 0.f;
#pragma unroll
  for (int w = 0; w < 4; ++w) {
    const std::uint32_t A = word_of(la, w), B = word_of(lb, w), H = word_of(hh, w);
    const std::uint32_t q0 = (A & 0x0F0F0F0Fu) | ((H & 0x03030303u) << 4);
    const std::uint32_t q1 = (B & 0x0F0F0F0Fu) | (((H >> 2) & 0x03030303u) << 4);
    const std::uint32_t q2 = ((A >> 4) & 0x0F0F0F0Fu) | (((H >> 4) & 0x03030303u) << 4);
    const std::uint32_t q3 = ((B >> 4) & 0x0F0F0F0Fu) | (((H >> 6) & 0x03030303u) << 4);
    const float4 a0 = x0[w], a1 = x1[w], a2 = x2[w], a3 = x3[w];
    g0 += (u8_plus_2p23(q0, 0) - off) * a0.x + (u8_plus_2p23(q0, 1) - off) * a0.y +
          (u8_plus_2p23(q0, 2) - off) * a0.z + (u8_plus_2p23(q0, 3) - off) * a0.w;
    g1 += (u8_plus_2p23(q1, 0) - off) * a1.x + (u8_plus_2p23(q1, 1) - off) * a1.y +
          (u8_plus_2p23(q1, 2) - off) * a1.z + (u8_plus_2p23(q1, 3) - off) * a1.w;
    g2 += (u8_plus_2p23(q2, 0) - off) * a2.x + (u8_plus_2p23(q2, 1) - off) * a2.y +
          (u8_plus_2p23(q2, 2) - off) * a2.z + (u8_plus_2p23(q2, 3) - off) * a2.w;
    g3 += (u8_plus_2p23(q3, 0) - off) * a3.x + (u8_plus_2p23(q3, 1) - off) * a3.y +
          (u8_plus_2p23(q3, 2) - off) * a3.z + (u8_plus_2p23(q3, 3) - off) * a3.w;
  }
  return d * (float(sc[0]) * g0 + float(sc[2]) * g1 + float(sc[4]) * g2 + float(sc[6]) * g3);
}

__device__ __forceinline__ float dot_unit_q8_0(const std::uint8_t* row, int u, const float* xs) {
  constexpr float off = k2p23 + 128.f;  // bytes xor 0x80 are q + 128
  float r = 0.f;
#pragma unroll
  for (int b = 0; b < 2; ++b) {
    const std::uint8_t* blk = row + (2 * u + b) * 34;
    const float d = h2f(*reinterpret_cast<const unsigned short*>(blk));
    const uint4 q0 = load16_a2(blk + 2), q1 = load16_a2(blk + 18);
    const float4* x = reinterpret_cast<const float4*>(xs + xp(64 * u) + 32 * b);
    float s = 0.f;
#pragma unroll
    for (int w = 0; w < 8; ++w) {
      const std::uint32_t q = (w < 4 ? word_of(q0, w) : word_of(q1, w - 4)) ^ 0x80808080u;
      const float4 xv = x[w];
      s += (u8_plus_2p23(q, 0) - off) * xv.x + (u8_plus_2p23(q, 1) - off) * xv.y +
           (u8_plus_2p23(q, 2) - off) * xv.z + (u8_plus_2p23(q, 3) - off) * xv.w;
    }
    r += d * s;
  }
  return r;
}

// xsum: sums of x per 32 values (only Q4_K reads them).
__device__ __forceinline__ float dot_unit(int type, const std::uint8_t* row, int u, const float* xs,
                                          const float* xsum) {
  if (type == kQ4_K) return dot_unit_q4k(row, u, xs, xsum);
  if (type == kQ6_K) return dot_unit_q6k(row, u, xs);
  return dot_unit_q8_0(row, u, xs);
}

// dot_unit with the row's type known at compile time (see dot_unit_q8_as); kT = 0: run time.
template <int kT>
__device__ __forceinline__ float dot_unit_as(int type, const std::uint8_t* row, int u, const float* xs,
                                             const float* xsum) {
  if constexpr (kT == kQ4_K) return dot_unit_q4k(row, u, xs, xsum);
  else if constexpr (kT == kQ6_K) return dot_unit_q6k(row, u, xs);
  else if constexpr (kT == kQ8_0) return dot_unit_q8_0(row, u, xs);
  else return dot_unit(type, row, u, xs, xsum);
}

}  // namespace pv::engine::cuda
