#pragma once
// Warp-level helpers. Butterfly (xor) reductions: every lane ends with the same value, and the
// order of additions is fixed, so results are bitwise reproducible.
#include <cuda_fp16.h>

namespace pv::engine::cuda {

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
// The lanes of lane's quad (4 consecutive lanes from a multiple of 4), as a shuffle mask.
__device__ __forceinline__ unsigned quad_mask(int lane) { return 0xFu << (lane & 28); }
// The maximum over the 4 lanes of a quad (mask: those lanes).
__device__ __forceinline__ float quad_max(float v, unsigned mask) {
  v = fmaxf(v, __shfl_xor_sync(mask, v, 1));
  return fmaxf(v, __shfl_xor_sync(mask, v, 2));
}

// The Q8_1 grid of a group of values whose largest magnitude is amax (llama.cpp's
// quantize_q8_1 rule): d = amax / 127 and id = 1 / d (0 for an all-zero group); a value v
// becomes q = round(v * id), i.e. q * d. Every q8 rounding of the engine (router, decode,
// fused stack, batch) takes its grid and quants from these two, so they agree bit for bit.
struct Q8Grid { float d, id; };
__device__ __forceinline__ Q8Grid q8_grid(float amax) {
  const float d = amax / 127.f;
  return {d, d != 0.f ? 1.f / d : 0.f};
}
__device__ __forceinline__ int q8_quant(float v, const Q8Grid& g) { return int(roundf(v * g.id)); }
// v on grid g as a float: q * d.
__device__ __forceinline__ float q8_snap(float v, const Q8Grid& g) { return roundf(v * g.id) * g.d; }
// The largest |v[i]| of N values (the group's amax, one thread).
template <int N>
__device__ __forceinline__ float abs_max(const float (&v)[N]) {
  float amax = 0.f;
#pragma unroll
  for (int i = 0; i < N; ++i) amax = fmaxf(amax, fabsf(v[i]));
  return amax;
}

// Rounds one value per lane to the Q8_1 grid of its 32-lane group. Returns q * d.
__device__ __forceinline__ float q8_round(float v) {
  return q8_snap(v, q8_grid(warp_max(fabsf(v))));
}

__device__ __forceinline__ float silu(float g) { return __fdiv_rn(g, __fadd_rn(1.f, expf(-g))); }

}  // namespace pv::engine::cuda
