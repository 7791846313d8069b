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
__device__ __forceinline__ float row_dot_f(int type, const std::uint8_t* row, int units, const VecF& x, int lane) {
  float s = 0.f;
  for (int un = lane; un < units; un += 32) s = __fadd_rn(s, dot_unit(type, row, un, x.x, x.sum));
  return warp_sum(s);
}

template <bool kQ8>
__device__ __forceinline__ float row_dot_vec(int type, const std::uint8_t* row, unsigned char* vec, int n, int lane) {
  if constexpr (kQ8) return row_dot_q8(type, row, n / 64, vec_q(vec, n), lane);
  else return row_dot_f(type, row, n / 64, vec_f(vec, n), lane);
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

}  // namespace pv::engine::cuda
