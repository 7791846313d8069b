#pragma once
// q8 unit dots on the integer tensor cores (mma.sync .s8, sm_80+), for the grouped batch path.
// For one 64-value unit u, a warp computes the unit values of a 16-row x 8-pair tile: mma.sync
// gives the integer sums per 32 (Q4_K, Q8_0) or 16 (Q6_K) values, which equal __dp4a's sums
// (integer addition is exact), and the f32 tail is quant_q8.cuh's unit formula, so every value
// is bitwise dot_unit_q8's for that row, unit and vector.
// Fragments (PTX ISA, mma.m16n8k32 / m16n8k16 with .s8): lane = 4 g + t; A holds rows g and
// g + 8 at k bytes 4t..4t+3 (and 16 + 4t.. for k32), B holds column (pair) g at the same k, and
// the int32 result c[0..3] is (row g, pair 2t), (g, 2t + 1), (g + 8, 2t), (g + 8, 2t + 1).
// k is the byte order of the block format; B reads the activation values paired with those
// bytes, so no weight is repacked.
#include <cstdint>

#include "engine/cuda/quant_dev.cuh"
#include "engine/cuda/quant_q8.cuh"

namespace pv::engine::cuda {

// Pairs' Q8_1 vectors of n values staged for B fragments: q rows `stride` bytes apart (n + 16:
// the 8 pairs of a fragment load hit distinct banks), per 32 values d and d * sum q (each
// [pair][n/32]; sd only where the type reads it).
struct TileX {
  const std::int8_t* q;
  int stride, n;
  const float* d;
  const float* sd;
};

// A staged weight row and its premultiplied scales per unit (quant_q8.cuh), decoded once per
// block (UnitTile::scales): a row's scales serve 4 lanes x every pair column, so decoding them
// in the unit loop cost a third of its instructions.
struct RowView {
  const std::uint8_t* q;
  const float4* rs;  // [units]
};

// Result i (0..3) of a thread's 16 x 8 tile in the layout above: its row and its pair column.
__device__ __forceinline__ int mma_result_row(int i, int g) { return g + 8 * (i >> 1); }
__device__ __forceinline__ int mma_result_col(int i, int t) { return 2 * t + (i & 1); }

__device__ __forceinline__ void mma_s8_k32(int (&c)[4], const std::uint32_t (&a)[4], std::uint32_t b0, std::uint32_t b1) {
  asm("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%10,%10,%10};\n"
      : "=r"(c[0]), "=r"(c[1]), "=r"(c[2]), "=r"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "r"(0));
}
__device__ __forceinline__ void mma_s8_k16(int (&c)[4], std::uint32_t a0, std::uint32_t a1, std::uint32_t b0) {
  asm("mma.sync.aligned.m16n8k16.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%7,%7,%7,%7};\n"
      : "=r"(c[0]), "=r"(c[1]), "=r"(c[2]), "=r"(c[3])
      : "r"(a0), "r"(a1), "r"(b0), "r"(0));
}

__device__ __forceinline__ std::uint32_t ld32(const void* p) { return *reinterpret_cast<const std::uint32_t*>(p); }
// 4 bytes from a 2-byte-aligned address (Q6_K and Q8_0 rows need not be 4-byte aligned).
__device__ __forceinline__ std::uint32_t ld32_a2(const std::uint8_t* p) {
  const unsigned short* s = reinterpret_cast<const unsigned short*>(p);
  return std::uint32_t(s[0]) | (std::uint32_t(s[1]) << 16);
}

// UnitTile<kT, NT>::run: unit values of the warp's 16 x (8 NT) tile, rows a (row g) and b
// (row g + 8) of type kT, pairs 8 nt + g of x; v[nt][i] follows the result layout above.
// UnitTile<kT, NT>::scales: the per-unit scales RowView holds, from the staged row.
template <int kT, int NT>
struct UnitTile;

template <int NT>
struct UnitTile<kQ4_K, NT> {
  __device__ static float4 scales(const std::uint8_t* row, int u) {
    return q4k_unit_scales(*reinterpret_cast<const uint4*>(row + (u >> 2) * 144), u & 3);
  }
  __device__ static void run(const RowView& a, const RowView& b, int u, const TileX& x, int g, int t, float (&v)[NT][4]) {
    constexpr std::uint32_t M = 0x0F0F0F0Fu;
    const int q = (u >> 2) * 144 + 16 + 32 * (u & 3) + 4 * t;  // chunk's quant bytes: low nibbles k, high k + 32
    const std::uint32_t w[4] = {ld32(a.q + q), ld32(b.q + q), ld32(a.q + q + 16), ld32(b.q + q + 16)};
    const std::uint32_t lo[4] = {w[0] & M, w[1] & M, w[2] & M, w[3] & M};
    const std::uint32_t hi[4] = {(w[0] >> 4) & M, (w[1] >> 4) & M, (w[2] >> 4) & M, (w[3] >> 4) & M};
    const float4 sa = a.rs[u], sb = b.rs[u];
    const int g32 = x.n / 32;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      const std::int8_t* xq = x.q + (8 * nt + g) * x.stride + 64 * u + 4 * t;
      int cl[4], ch[4];
      mma_s8_k32(cl, lo, ld32(xq), ld32(xq + 16));
      mma_s8_k32(ch, hi, ld32(xq + 32), ld32(xq + 48));
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        const int c = 8 * nt + mma_result_col(j, t);
        const float2 d = *reinterpret_cast<const float2*>(x.d + c * g32 + 2 * u);
        const float2 sd = *reinterpret_cast<const float2*>(x.sd + c * g32 + 2 * u);
        v[nt][j] = q4k_unit_value(sa, d.x, d.y, sd.x, sd.y, cl[j], ch[j]);
        v[nt][2 + j] = q4k_unit_value(sb, d.x, d.y, sd.x, sd.y, cl[2 + j], ch[2 + j]);
      }
    }
  }
};

template <int NT>
struct UnitTile<kQ6_K, NT> {
  // Unit u = the 16 l-values [l0, l0 + 16) of half h of super-block u >> 2: four 16-value groups
  // (ql low / high nibbles of two 32-byte runs, 2 bits each from qh), 32 values apart in x.
  // The quants enter the MMA as q - 32 (int8 -32..31): bit 5 flipped and sign-extended into
  // bits 6-7, so the MMA sums (q - 32) x, which is dot_q8_q6k's g - 32 * sum x, exactly.
  __device__ static void quants(const std::uint8_t* blk, int h, int l0, int t, std::uint32_t (&q)[4]) {
    constexpr std::uint32_t M = 0x0F0F0F0Fu, M2 = 0x03030303u, B1 = 0x02020202u;
    const std::uint32_t A = ld32_a2(blk + 64 * h + l0 + 4 * t), B = ld32_a2(blk + 64 * h + 32 + l0 + 4 * t);
    const std::uint32_t H = ld32_a2(blk + 128 + 32 * h + l0 + 4 * t);
    const std::uint32_t lows[4] = {A & M, B & M, (A >> 4) & M, (B >> 4) & M};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const std::uint32_t hb = ((H >> (2 * i)) & M2) ^ B1;  // high 2 bits of q, minus 2
      q[i] = lows[i] | ((hb | ((hb & B1) * 6u)) << 4);     // ... as a 4-bit two's complement
    }
  }
  __device__ static float4 scales(const std::uint8_t* row, int u) { return q6k_unit_scales(row + (u >> 2) * 210, u); }
  __device__ static void run(const RowView& a, const RowView& b, int u, const TileX& x, int g, int t, float (&v)[NT][4]) {
    const int h = (u >> 1) & 1, l0 = 16 * (u & 1), base = 256 * (u >> 2) + 128 * h + l0;
    std::uint32_t qa[4], qb[4];
    quants(a.q + (u >> 2) * 210, h, l0, t, qa);
    quants(b.q + (u >> 2) * 210, h, l0, t, qb);
    const float4 sa = a.rs[u], sb = b.rs[u];
    const int g32 = x.n / 32;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      const std::int8_t* xq = x.q + (8 * nt + g) * x.stride + base + 4 * t;
      int c[4][4];
#pragma unroll
      for (int i = 0; i < 4; ++i) mma_s8_k16(c[i], qa[i], qb[i], ld32(xq + 32 * i));
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        const int col = 8 * nt + mma_result_col(j, t);
        const float4 d = *reinterpret_cast<const float4*>(x.d + col * g32 + (base >> 5));  // groups base/32 + i
        v[nt][j] = q6k_unit_value(sa, d.x, d.y, d.z, d.w, c[0][j], c[1][j], c[2][j], c[3][j]);
        v[nt][2 + j] = q6k_unit_value(sb, d.x, d.y, d.z, d.w, c[0][2 + j], c[1][2 + j], c[2][2 + j], c[3][2 + j]);
      }
    }
  }
};

template <int NT>
struct UnitTile<kQ8_0, NT> {
  // Unit u = blocks 2u and 2u + 1 (34 bytes: f16 d, 32 int8).
  __device__ static float4 scales(const std::uint8_t* row, int u) {
    const std::uint8_t* p = row + 2 * u * 34;
    return make_float4(h2f(*reinterpret_cast<const unsigned short*>(p)), h2f(*reinterpret_cast<const unsigned short*>(p + 34)),
                       0.f, 0.f);
  }
  __device__ static void run(const RowView& a, const RowView& b, int u, const TileX& x, int g, int t, float (&v)[NT][4]) {
    std::uint32_t q[2][4];
#pragma unroll
    for (int k = 0; k < 2; ++k) {
      const int o = (2 * u + k) * 34 + 2 + 4 * t;
      q[k][0] = ld32_a2(a.q + o);
      q[k][1] = ld32_a2(b.q + o);
      q[k][2] = ld32_a2(a.q + o + 16);
      q[k][3] = ld32_a2(b.q + o + 16);
    }
    const float4 sa = a.rs[u], sb = b.rs[u];
    const int g32 = x.n / 32;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      const std::int8_t* xq = x.q + (8 * nt + g) * x.stride + 64 * u + 4 * t;
      int c[2][4];
      mma_s8_k32(c[0], q[0], ld32(xq), ld32(xq + 16));
      mma_s8_k32(c[1], q[1], ld32(xq + 32), ld32(xq + 48));
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        const float2 d = *reinterpret_cast<const float2*>(x.d + (8 * nt + mma_result_col(j, t)) * g32 + 2 * u);
        v[nt][j] = q8_0_unit_value(sa.x, sa.y, d.x, d.y, c[0][j], c[1][j]);
        v[nt][2 + j] = q8_0_unit_value(sb.x, sb.y, d.x, d.y, c[0][2 + j], c[1][2 + j]);
      }
    }
  }
};

}  // namespace pv::engine::cuda
