#pragma once
// An activation vector in shared memory, as the expert kernels read it: exact mode f32 values
// in the padded layout xp(i) plus the sum of every 32 values (Q4_K's minimum term); q8 mode the
// QX layout of quant_q8.cuh. One (weight row, vector) dot per warp: row_dot_f / row_dot_q8.
// Every kernel that computes an expert row's dot calls row_dot_vec, so a value never depends on
// which kernel (per-layer decode, fused stack, grouped batch) computed it.
#include <cstddef>
#include <cstdint>

#include "engine/cuda/quant_dev.cuh"
#include "engine/cuda/quant_q8.cuh"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {

// Bytes of one activation vector of n values in shared memory, 16-byte multiple.
__host__ __device__ constexpr std::size_t vec_bytes(bool q8, int n) {
  return q8 ? qx_bytes(n) : 4 * (std::size_t(padded_len(n)) + std::size_t((n / 32 + 3) & ~3));
}
struct VecF { float* x; float* sum; };
__device__ __forceinline__ VecF vec_f(unsigned char* p, int n) {
  float* x = reinterpret_cast<float*>(p);
  return {x, x + padded_len(n)};
}
__device__ __forceinline__ QX vec_q(unsigned char* p, int n) { return qx_at(p, n); }

// exact mode: the f32 counterpart of row_dot_q8 (quant_q8.cuh), same lane order.
template <int kT = 0>
__device__ __forceinline__ float row_dot_f(int type, const std::uint8_t* row, int units, const VecF& x, int lane) {
  float s = 0.f;
  for (int un = lane; un < units; un += 32) s = __fadd_rn(s, dot_unit_as<kT>(type, row, un, x.x, x.sum));
  return warp_sum(s);
}

// kT: the row's type if known at compile time, else 0 (quant_q8.cuh, dot_unit_q8_as).
template <bool kQ8, int kT = 0>
__device__ __forceinline__ float row_dot_vec(int type, const std::uint8_t* row, unsigned char* vec, int n, int lane) {
  if constexpr (kQ8) return row_dot_q8<kT>(type, row, n / 64, vec_q(vec, n), lane);
  else return row_dot_f<kT>(type, row, n / 64, vec_f(vec, n), lane);
}

// Stores one value per lane as value 32 * g + lane of the vector at `vec` (n values): q8 rounds
// the 32 values onto their Q8_1 grid (q8_store), exact keeps them and their sum.
template <bool kQ8>
__device__ __forceinline__ void vec_store32(float v, unsigned char* vec, int n, int g, int lane) {
  if constexpr (kQ8) {
    const QX x = vec_q(vec, n);
    q8_store(v, const_cast<std::int8_t*>(x.q) + xpb(32 * g + lane), const_cast<float*>(x.d) + g,
             const_cast<float*>(x.sd) + g, const_cast<int*>(x.s16) + 2 * g + (lane >> 4), lane);
  } else {
    const VecF x = vec_f(vec, n);
    x.x[xp(32 * g + lane)] = v;
    const float s = warp_sum(v);
    if (lane == 0) x.sum[g] = s;
  }
}

// One thread's counterparts of the warp-wide operations above, for when a warp has better
// things to do than 32 shuffles per 32 values: every result is bitwise the warp version's.
// warp_sum is an xor-butterfly in which both lanes of a pair add the same two values, so all
// lanes end with lane 0's bits; tree32 evaluates that tree for lane 0.
__device__ __forceinline__ float tree32(float (&v)[32]) {
#pragma unroll
  for (int h = 16; h > 0; h >>= 1)
#pragma unroll
    for (int i = 0; i < h; ++i) v[i] = __fadd_rn(v[i], v[i + h]);
  return v[0];
}

// row_dot_q8's order for a thread that visits the lanes one at a time (the grouped tensor-core
// tiles, where a thread holds N results and walks the units). The butterfly is a binary tree
// whose first level joins lanes l and l ^ 16, then l ^ 8, ..., so in bit-reversed order the
// leaves arrive as a binary counter: leaf j joins the stored subtree of level b for every
// set bit b of j, lowest first. A warp that visits only the lanes b + KS m (KS a power of two,
// m = bit_reverse(j) over log2(32/KS) bits) ends with the butterfly's first log2(32/KS) levels
// for those lanes; butterfly_finish joins the KS subtrees. Adds are commutative, so the two
// lanes of a butterfly pair agree and the order inside each add does not matter.
template <int N, int kLevels>
struct TreeStream {
  float level[kLevels][N];
  // Joins leaf j (a lane's running sum, clobbered); after the last leaf (all kLevels bits set)
  // s holds the whole subtree.
  __device__ __forceinline__ void push(int j, float (&s)[N]) {
    const int z = __ffs(~j) - 1;  // levels below z merge, level z stores (selects, no local memory)
#pragma unroll
    for (int b = 0; b < kLevels; ++b)
      if (b < z)
#pragma unroll
        for (int i = 0; i < N; ++i) s[i] = __fadd_rn(level[b][i], s[i]);
#pragma unroll
    for (int b = 0; b < kLevels; ++b)
      if (b == z)
#pragma unroll
        for (int i = 0; i < N; ++i) level[b][i] = s[i];
  }
};
// The lane a TreeStream visits as leaf j of subtree b (of KS).
template <int KS>
__device__ __forceinline__ int tree_lane(int b, int j) {
  constexpr int bits = KS == 1 ? 5 : KS == 2 ? 4 : KS == 4 ? 3 : KS == 8 ? 2 : KS == 16 ? 1 : 0;
  static_assert(bits > 0, "KS must be 1, 2, 4, 8 or 16");
  return b + KS * int(__brev(unsigned(j)) >> (32 - bits));
}
// The butterfly's last log2(KS) levels over subtrees p[0..KS) (clobbered); returns the row dot.
template <int KS>
__device__ __forceinline__ float butterfly_finish(float (&p)[KS]) {
#pragma unroll
  for (int o = KS / 2; o > 0; o >>= 1)
#pragma unroll
    for (int b = 0; b < o; ++b) p[b] = __fadd_rn(p[b], p[b + o]);
  return p[0];
}

// Unit u of a row dotted with the vector at `vec` (n values), as row_dot_vec's lanes do.
template <bool kQ8, int kT = 0>
__device__ __forceinline__ float unit_value(int type, const std::uint8_t* row, int u, unsigned char* vec, int n) {
  if constexpr (kQ8) return dot_unit_q8_as<kT>(type, row, u, vec_q(vec, n));
  else {
    const VecF x = vec_f(vec, n);
    return dot_unit_as<kT>(type, row, u, x.x, x.sum);
  }
}

// row_dot_vec of two rows against the same vector (the fused stack's gate and up rows of an
// item), their unit loops and butterflies interleaved so that neither waits on the other's
// latencies. Each result is bitwise row_dot_vec's: the same unit values (dot_unit_q8_as /
// dot_unit_as, what row_dot_q8 and row_dot_f add), summed per lane in the same order, then the
// same butterfly.
template <class UnitA, class UnitB>
__device__ __forceinline__ float2 row_dot2_units(int units, int lane, UnitA&& ua, UnitB&& ub) {
  float s = 0.f, t = 0.f;
  for (int un = lane; un < units; un += 32) {
    s = __fadd_rn(s, ua(un));
    t = __fadd_rn(t, ub(un));
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    s = __fadd_rn(s, __shfl_xor_sync(0xffffffffu, s, o));
    t = __fadd_rn(t, __shfl_xor_sync(0xffffffffu, t, o));
  }
  return make_float2(s, t);
}
template <bool kQ8, int kT = 0>
__device__ __forceinline__ float2 row_dot2_vec(int ta, const std::uint8_t* ra, int tb, const std::uint8_t* rb,
                                               unsigned char* vec, int n, int lane) {
  if constexpr (kQ8) {
    const QX x = vec_q(vec, n);
    return row_dot2_units(n / 64, lane, [&](int u) { return dot_unit_q8_as<kT>(ta, ra, u, x); },
                          [&](int u) { return dot_unit_q8_as<kT>(tb, rb, u, x); });
  } else {
    const VecF x = vec_f(vec, n);
    return row_dot2_units(n / 64, lane, [&](int u) { return dot_unit_as<kT>(ta, ra, u, x.x, x.sum); },
                          [&](int u) { return dot_unit_as<kT>(tb, rb, u, x.x, x.sum); });
  }
}

// q8_round of 32 values (warp.cuh) by one thread.
__device__ __forceinline__ void q8_round32(float (&v)[32]) {
  const Q8Grid q8 = q8_grid(abs_max(v));
#pragma unroll
  for (int i = 0; i < 32; ++i) v[i] = q8_snap(v[i], q8);
}

// vec_store32 of values 32 g .. 32 g + 31 by one thread (v is clobbered).
template <bool kQ8>
__device__ __forceinline__ void vec_store_group(float (&v)[32], unsigned char* vec, int n, int g) {
  if constexpr (kQ8) {
    const QX x = vec_q(vec, n);
    const Q8Grid q8 = q8_grid(abs_max(v));
    int half[2] = {0, 0};
    std::uint32_t* q = reinterpret_cast<std::uint32_t*>(const_cast<std::int8_t*>(x.q) + xpb(32 * g));
#pragma unroll
    for (int w = 0; w < 8; ++w) {
      std::uint32_t word = 0;
#pragma unroll
      for (int b = 0; b < 4; ++b) {
        const int qi = q8_quant(v[4 * w + b], q8);
        half[w / 4] += qi;
        word |= (std::uint32_t(qi) & 0xFFu) << (8 * b);
      }
      q[w] = word;
    }
    const_cast<float*>(x.d)[g] = q8.d;
    const_cast<float*>(x.sd)[g] = q8.d * float(half[0] + half[1]);
    const_cast<int*>(x.s16)[2 * g] = half[0];
    const_cast<int*>(x.s16)[2 * g + 1] = half[1];
  } else {
    const VecF x = vec_f(vec, n);
    float4* dst = reinterpret_cast<float4*>(x.x + xp(32 * g));
#pragma unroll
    for (int w = 0; w < 8; ++w) dst[w] = make_float4(v[4 * w], v[4 * w + 1], v[4 * w + 2], v[4 * w + 3]);
    x.sum[g] = tree32(v);
  }
}

// vec_store_group<true> by the 4 lanes of a quad (mask: those lanes): lane q holds values
// 8q .. 8q + 7 of the group. Bitwise the one-thread version: a maximum and integer sums do not
// depend on their order, and every value is rounded by the same expression.
__device__ __forceinline__ void q8_store_group_quad(const float (&v)[8], unsigned char* vec, int n, int g, int q,
                                                    unsigned mask) {
  const QX x = vec_q(vec, n);
  const Q8Grid q8 = q8_grid(quad_max(abs_max(v), mask));
  std::uint32_t w[2];
  const int sum = q8_pack8(v, q8, w);
  *reinterpret_cast<uint2*>(const_cast<std::int8_t*>(x.q) + xpb(32 * g + 8 * q)) = make_uint2(w[0], w[1]);
  const int half = sum + __shfl_xor_sync(mask, sum, 1);  // quads 0-1: values 0..15, 2-3: 16..31
  const int tot = half + __shfl_xor_sync(mask, half, 2);
  if (q == 0) {
    const_cast<float*>(x.d)[g] = q8.d;
    const_cast<float*>(x.sd)[g] = q8.d * float(tot);
  }
  if ((q & 1) == 0) const_cast<int*>(x.s16)[2 * g + q / 2] = half;
}

}  // namespace pv::engine::cuda
