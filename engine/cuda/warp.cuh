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

// Rounds one value per lane to the Q8_1 grid of its 32-lane group: d = amax/127, q = round(x/d)
// (llama.cpp's quantize_q8_1 rule). Returns q*d.
__device__ __forceinline__ float q8_round(float v) {
  const float amax = warp_max(fabsf(v));
  const float d = amax / 127.f;
  const float id = d != 0.f ? 1.f / d : 0.f;
  return roundf(v * id) * d;
}

__device__ __forceinline__ float silu(float g) { return __fdiv_rn(g, __fadd_rn(1.f, expf(-g))); }

}  // namespace pv::engine::cuda
