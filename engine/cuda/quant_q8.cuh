#pragma once
// q8-mode dot products: activations on the Q8_1 grid held as int8 in shared memory, weights'
// integer quants multiplied with __dp4a (4 multiply-adds per instruction), scales applied per
// 16/32 values in f32. The f32 path spends ~3.5 instructions per weight value and is issue-bound
// far under the memory roofline; this one spends under 1.
// Layout of an activation vector in shared memory (QX): int8 q at xpb(i) = i + 16*(i/64) (16-byte
// pad per 64 values: lanes reading different units hit different banks), per 32 values the scale
// d and d*sum(q), per 16 values the integer sum(q) (Q6_K's -32 offset).
#include <cstddef>
#include <cstdint>

#include "engine/cuda/quant_dev.cuh"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {

__host__ __device__ constexpr int xpb(int i) { return i + ((i >> 6) << 4); }

struct QX {
  const std::int8_t* q;  // padded
  const float* d;        // [n/32]
  const float* sd;       // [n/32] d * sum q
  const int* s16;        // [n/16]
};

// 16 int8 at value i (i % 16 == 0) in one load, as 4 words (word_of): xpb keeps 16-value
// groups contiguous and 16-byte aligned (QX vectors start 16-byte aligned).
__device__ __forceinline__ uint4 xwords16(const QX& x, int i) { return *reinterpret_cast<const uint4*>(x.q + xpb(i)); }

// The f32 tails of the q8 unit dots, from their exact integer sums and the row's scales for the
// unit, premultiplied (d * sc, dmin * m: once per row and unit, not per activation vector).
// Every q8 kernel (dp4a lanes here, tensor-core fragments in mma_tile.cuh) calls these, so the
// roundings are written once: explicitly rounded operations (__fmul_rn, __fmaf_rn; nothing
// left for the compiler to contract) give bitwise the same value from the same integer sums
// (batch independence, see grouped.cu).
// Q4_K chunk c (0..3) of a super-block: {d sc0, d sc1, dmin m0, dmin m1} of its two 32-value
// sub-blocks, from the block's 16-byte header.
__device__ __forceinline__ float4 q4k_unit_scales(const uint4& hdr, int c) {
  float sc0, mn0, sc1, mn1;
  q4k_scale_min(hdr, 2 * c, sc0, mn0);
  q4k_scale_min(hdr, 2 * c + 1, sc1, mn1);
  const float d = h2f(hdr.x), dmin = h2f(hdr.x >> 16);
  return make_float4(__fmul_rn(d, sc0), __fmul_rn(d, sc1), __fmul_rn(dmin, mn0), __fmul_rn(dmin, mn1));
}
// lo, hi: sums of q*x over the chunk's low and high 32 values; xd, xsd: x's scales and
// scale * sum q of those 32-value groups. d sc0 xd0 lo + d sc1 xd1 hi - (dmin m0 xsd0 + dmin m1 xsd1).
__device__ __forceinline__ float q4k_unit_value(const float4& w, float xd0, float xd1, float xsd0, float xsd1,
                                                int lo, int hi) {
  const float neg = __fmaf_rn(w.z, xsd0, __fmul_rn(w.w, xsd1));
  return __fmaf_rn(w.x, __fmul_rn(xd0, float(lo)), __fmaf_rn(w.y, __fmul_rn(xd1, float(hi)), -neg));
}
// Q6_K unit u of the 210-byte super-block blk: d * sc of its four 16-value groups.
__device__ __forceinline__ float4 q6k_unit_scales(const std::uint8_t* blk, int u) {
  const signed char* sc = reinterpret_cast<const signed char*>(blk + 192 + 8 * ((u >> 1) & 1) + (u & 1));
  const float d = h2f(*reinterpret_cast<const unsigned short*>(blk + 208));
  return make_float4(__fmul_rn(d, float(sc[0])), __fmul_rn(d, float(sc[2])), __fmul_rn(d, float(sc[4])),
                     __fmul_rn(d, float(sc[6])));
}
// gc: sums of (q - 32) x over the four groups (g - 32 * sum x: exact); xd: x's scale of each.
__device__ __forceinline__ float q6k_unit_value(const float4& w, float xd0, float xd1, float xd2, float xd3, int gc0,
                                                int gc1, int gc2, int gc3) {
  float v = __fmul_rn(w.w, __fmul_rn(xd3, float(gc3)));
  v = __fmaf_rn(w.z, __fmul_rn(xd2, float(gc2)), v);
  v = __fmaf_rn(w.y, __fmul_rn(xd1, float(gc1)), v);
  return __fmaf_rn(w.x, __fmul_rn(xd0, float(gc0)), v);
}
// Q8_0 unit = blocks 2u, 2u + 1 with scales d0, d1 and integer sums s0, s1.
__device__ __forceinline__ float q8_0_unit_value(float d0, float d1, float xd0, float xd1, int s0, int s1) {
  return __fmaf_rn(d0, __fmul_rn(xd0, float(s0)), __fmul_rn(d1, __fmul_rn(xd1, float(s1))));
}

__device__ __forceinline__ float dot_q8_q4k(const std::uint8_t* row, int u, const QX& x) {
  const std::uint8_t* blk = row + (u >> 2) * 144;
  const int c = u & 3;
  const uint4 hdr = *reinterpret_cast<const uint4*>(blk);
  const uint4 qa = *reinterpret_cast<const uint4*>(blk + 16 + 32 * c);
  const uint4 qb = *reinterpret_cast<const uint4*>(blk + 32 + 32 * c);
  const uint4* xv = reinterpret_cast<const uint4*>(x.q + xpb(64 * u));  // the unit's 64 values, contiguous
  const uint4 xl[2] = {xv[0], xv[1]}, xh[2] = {xv[2], xv[3]};                 // its low 32, its high 32
  int lo = 0, hi = 0;
#pragma unroll
  for (int w = 0; w < 8; ++w) {
    const std::uint32_t q = w < 4 ? word_of(qa, w) : word_of(qb, w - 4);
    lo = __dp4a(int(q & 0x0F0F0F0Fu), int(word_of(xl[w / 4], w % 4)), lo);
    hi = __dp4a(int((q >> 4) & 0x0F0F0F0Fu), int(word_of(xh[w / 4], w % 4)), hi);
  }
  return q4k_unit_value(q4k_unit_scales(hdr, c), x.d[2 * u], x.d[2 * u + 1], x.sd[2 * u], x.sd[2 * u + 1], lo, hi);
}

__device__ __forceinline__ float dot_q8_q6k(const std::uint8_t* row, int u, const QX& x) {
  const std::uint8_t* blk = row + (u >> 2) * 210;
  const int h = (u >> 1) & 1, l0 = 16 * (u & 1);
  const uint4 la = load16_a2_words(blk + 64 * h + l0);
  const uint4 lb = load16_a2_words(blk + 64 * h + 32 + l0);
  const uint4 hh = load16_a2_words(blk + 128 + 32 * h + l0);
  const int base = 256 * (u >> 2) + 128 * h + l0;
  const uint4 x0 = xwords16(x, base), x1 = xwords16(x, base + 32), x2 = xwords16(x, base + 64),
              x3 = xwords16(x, base + 96);
  int g0 = 0, g1 = 0, g2 = 0, g3 = 0;
#pragma unroll
  for (int w = 0; w < 4; ++w) {
    const std::uint32_t A = word_of(la, w), B = word_of(lb, w), H = word_of(hh, w);
    g0 = __dp4a(int((A & 0x0F0F0F0Fu) | ((H & 0x03030303u) << 4)), int(word_of(x0, w)), g0);
    g1 = __dp4a(int((B & 0x0F0F0F0Fu) | (((H >> 2) & 0x03030303u) << 4)), int(word_of(x1, w)), g1);
    g2 = __dp4a(int(((A >> 4) & 0x0F0F0F0Fu) | (((H >> 4) & 0x03030303u) << 4)), int(word_of(x2, w)), g2);
    g3 = __dp4a(int(((B >> 4) & 0x0F0F0F0Fu) | (((H >> 6) & 0x03030303u) << 4)), int(word_of(x3, w)), g3);
  }
  const int b16 = base >> 4;
  // x's scales of groups base/32 .. base/32 + 3: one 16-byte load (base/32 is a multiple of 4).
  const float4 xd = *reinterpret_cast<const float4*>(x.d + (base >> 5));
  return q6k_unit_value(q6k_unit_scales(blk, u), xd.x, xd.y, xd.z, xd.w, g0 - 32 * x.s16[b16],
                        g1 - 32 * x.s16[b16 + 2], g2 - 32 * x.s16[b16 + 4], g3 - 32 * x.s16[b16 + 6]);
}

__device__ __forceinline__ float dot_q8_q8_0(const std::uint8_t* row, int u, const QX& x) {
  float d[2];
  int s[2];
#pragma unroll
  for (int b = 0; b < 2; ++b) {
    const std::uint8_t* blk = row + (2 * u + b) * 34;
    d[b] = h2f(*reinterpret_cast<const unsigned short*>(blk));
    const uint4 q0 = load16_a2(blk + 2), q1 = load16_a2(blk + 18);
    const uint4 xa = xwords16(x, 64 * u + 32 * b), xb = xwords16(x, 64 * u + 32 * b + 16);
    s[b] = 0;
#pragma unroll
    for (int w = 0; w < 8; ++w)
      s[b] = __dp4a(int(w < 4 ? word_of(q0, w) : word_of(q1, w - 4)), int(w < 4 ? word_of(xa, w) : word_of(xb, w - 4)), s[b]);
  }
  return q8_0_unit_value(d[0], d[1], x.d[2 * u], x.d[2 * u + 1], s[0], s[1]);
}

__device__ __forceinline__ float dot_unit_q8(int type, const std::uint8_t* row, int u, const QX& x) {
  if (type == kQ4_K) return dot_q8_q4k(row, u, x);
  if (type == kQ6_K) return dot_q8_q6k(row, u, x);
  return dot_q8_q8_0(row, u, x);
}

// dot_unit_q8 with the row's type known at compile time (kT = kQ4_K, kQ6_K or kQ8_0): the
// fused stack's hot loops then hold one format's code, not three; kT = 0: decided at run time.
template <int kT>
__device__ __forceinline__ float dot_unit_q8_as(int type, const std::uint8_t* row, int u, const QX& x) {
  if constexpr (kT == kQ4_K) return dot_q8_q4k(row, u, x);
  else if constexpr (kT == kQ6_K) return dot_q8_q6k(row, u, x);
  else if constexpr (kT == kQ8_0) return dot_q8_q8_0(row, u, x);
  else return dot_unit_q8(type, row, u, x);
}

// Bytes of one activation vector of n values in the QX layout in shared memory, 16-byte multiple.
__host__ __device__ constexpr std::size_t qx_bytes(int n) {
  return std::size_t(xpb(n)) + 4 * std::size_t(n / 32) * 2 + 4 * std::size_t(n / 16);
}
__device__ __forceinline__ QX qx_at(unsigned char* p, int n) {
  QX v;
  v.q = reinterpret_cast<std::int8_t*>(p);
  v.d = reinterpret_cast<const float*>(p + xpb(n));
  v.sd = v.d + n / 32;
  v.s16 = reinterpret_cast<const int*>(v.sd + n / 32);
  return v;
}

// Dot of a whole row with x by one warp: lane l sums units l, l + 32, ... in order, then a
// butterfly. Every q8 kernel (decode and grouped) computes a (row, activation vector) dot with
// exactly this function, so the result depends only on the row and x, never on the batch.
template <int kT = 0>
__device__ __forceinline__ float row_dot_q8(int type, const std::uint8_t* row, int units, const QX& x, int lane) {
  float s = 0.f;
  for (int un = lane; un < units; un += 32) s = __fadd_rn(s, dot_unit_q8_as<kT>(type, row, un, x));
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) s = __fadd_rn(s, __shfl_xor_sync(0xffffffffu, s, o));
  return s;
}

// Quantises one value per lane onto the Q8_1 grid of its 32-lane group (warp.cuh's q8_grid):
// writes q, and lane 0 writes d and d * sum q; lanes 0 and 16 write the integer sums of their
// 16-value halves where s16 is not null (the dp4a Q6_K dots read them).
__device__ __forceinline__ void q8_store(float v, std::int8_t* q, float* d, float* sd, int* s16, int lane) {
  const Q8Grid q8 = q8_grid(warp_max(fabsf(v)));
  const int qi = q8_quant(v, q8);
  *q = static_cast<std::int8_t>(qi);
  int s = qi;
#pragma unroll
  for (int o = 8; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);  // within 16-lane halves
  const int tot = s + __shfl_xor_sync(0xffffffffu, s, 16);
  if (lane == 0) { *d = q8.d; *sd = q8.d * float(tot); }
  if (s16 != nullptr && (lane & 15) == 0) *s16 = s;
}

// 8 consecutive floats (32-byte aligned) into registers.
__device__ __forceinline__ void load8(const float* p, float (&v)[8]) {
  const float4 lo = reinterpret_cast<const float4*>(p)[0], hi = reinterpret_cast<const float4*>(p)[1];
  v[0] = lo.x; v[1] = lo.y; v[2] = lo.z; v[3] = lo.w;
  v[4] = hi.x; v[5] = hi.y; v[6] = hi.z; v[7] = hi.w;
}
// A quad lane's 8 quants on grid g, packed 4 a word in value order; returns their sum.
__device__ __forceinline__ int q8_pack8(const float (&v)[8], const Q8Grid& g, std::uint32_t (&w)[2]) {
  int sum = 0;
  w[0] = w[1] = 0;
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int qi = q8_quant(v[i], g);
    sum += qi;
    w[i / 4] |= (std::uint32_t(qi) & 0xFFu) << (8 * (i % 4));
  }
  return sum;
}
// q8_store of a 32-value group by the 4 lanes of a quad (mask: those lanes), lane q holding
// values 8q .. 8q + 7 (v): q gets the group's 32 quants, d and sd its scale and d * sum q.
// Bitwise the warp's q8_store: a maximum and an integer sum do not depend on their order, and
// every value is quantised by the same expression. A warp per group spent ~15 shuffles per value.
__device__ __forceinline__ void q8_store_quad(const float (&v)[8], std::int8_t* q, float* d, float* sd, int lane_q,
                                              unsigned mask) {
  const Q8Grid g = q8_grid(quad_max(abs_max(v), mask));
  std::uint32_t w[2];
  int sum = q8_pack8(v, g, w);
  reinterpret_cast<uint2*>(q)[lane_q] = make_uint2(w[0], w[1]);
  sum += __shfl_xor_sync(mask, sum, 1);
  sum += __shfl_xor_sync(mask, sum, 2);
  if (lane_q == 0) {
    *d = g.d;
    *sd = g.d * float(sum);
  }
}

}  // namespace pv::engine::cuda
