// Decode path (and exact mode for any T): per (token, selected expert) pair, so only the
// selected experts' rows are read and a token's output never depends on the rest of its batch.
//   gate_up_kernel: grid (ffn/32, pairs). 8 warps x 4 rows; each lane walks 64-value units of
//     the gate and up rows (dot_unit), butterfly reduction, then act = silu(g) * u.
//   down_kernel: grid (hidden/8, tokens). 4 warps x 2 rows; lanes walk (expert j, unit) items of
//     all k experts, so short rows (ffn = 768 is 12 units) still keep every lane busy; result
//     h + sum_j w_j * (W_down_j act_j), summed in a fixed order.
#include "engine/cuda/check.hpp"
#include "engine/cuda/kernels.hpp"
#include "engine/cuda/quant_dev.cuh"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {
namespace {

constexpr int kGuRows = 32, kGuThreads = 256;    // 8 warps x 4 rows
constexpr int kDnRows = 8, kDnThreads = 128;     // 4 warps x 2 rows

__device__ __forceinline__ const std::uint8_t* row_ptr(const DevMat& m, int e, int r) {
  return m.data + (size_t)e * m.expert_bytes + (size_t)r * m.row_bytes;
}

__global__ void __launch_bounds__(kGuThreads) gate_up_kernel(DecodeArgs a, int pair_base) {
  extern __shared__ float xs[];  // padded [hidden]
  __shared__ float act32[kGuRows];
  const int pair = pair_base + blockIdx.y;
  const int t = pair / a.top_k;
  const int e = a.experts[pair];
  const int H = a.hidden;
  for (int i = threadIdx.x; i < H / 4; i += kGuThreads) {
    const float4 v = reinterpret_cast<const float4*>(a.xn + (size_t)t * H)[i];
    *reinterpret_cast<float4*>(xs + xp(4 * i)) = v;
  }
  __syncthreads();
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int r0 = blockIdx.x * kGuRows + warp * 4;
  const int units = H / 64;
  float g[4] = {0.f, 0.f, 0.f, 0.f}, u[4] = {0.f, 0.f, 0.f, 0.f};
  for (int un = lane; un < units; un += 32) {
#pragma unroll
    for (int rr = 0; rr < 4; ++rr) {
      g[rr] += dot_unit(a.gate.type, row_ptr(a.gate, e, r0 + rr), un, xs);
      u[rr] += dot_unit(a.up.type, row_ptr(a.up, e, r0 + rr), un, xs);
    }
  }
#pragma unroll
  for (int rr = 0; rr < 4; ++rr) {
    const float gs = warp_sum(g[rr]), us = warp_sum(u[rr]);
    if (lane == 0) act32[warp * 4 + rr] = silu(gs) * us;
  }
  __syncthreads();
  if (warp == 0) {
    float v = act32[lane];
    if (a.q8) v = q8_round(v);
    a.act[(size_t)pair * a.ffn + blockIdx.x * kGuRows + lane] = v;
  }
}

__global__ void __launch_bounds__(kDnThreads) down_kernel(DecodeArgs a, int token_base) {
  extern __shared__ float acts[];  // [k][padded ffn]
  const int t = token_base + blockIdx.y;
  const int k = a.top_k, F = a.ffn, FP = padded_len(F);
  for (int i = threadIdx.x; i < k * (F / 4); i += kDnThreads) {
    const int j = i / (F / 4), c = i - j * (F / 4);
    const float4 v = reinterpret_cast<const float4*>(a.act + ((size_t)t * k + j) * F)[c];
    *reinterpret_cast<float4*>(acts + j * FP + xp(4 * c)) = v;
  }
  __syncthreads();
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int r0 = blockIdx.x * kDnRows + warp * 2;
  const int units = F / 64;
  float acc0 = 0.f, acc1 = 0.f;
  for (int it = lane; it < k * units; it += 32) {
    const int j = it / units, un = it - j * units;
    const int e = a.experts[(size_t)t * k + j];
    const float w = a.weights[(size_t)t * k + j];
    acc0 += w * dot_unit(a.down.type, row_ptr(a.down, e, r0), un, acts + j * FP);
    acc1 += w * dot_unit(a.down.type, row_ptr(a.down, e, r0 + 1), un, acts + j * FP);
  }
  acc0 = warp_sum(acc0);
  acc1 = warp_sum(acc1);
  if (lane == 0) {
    const size_t o = (size_t)t * a.hidden + r0;
    a.out[o] = a.h[o] + acc0;
    a.out[o + 1] = a.h[o + 1] + acc1;
  }
}

}  // namespace

void configure_decode() {
  const int max = 200 * 1024;
  PV_CUDA_CHECK(cudaFuncSetAttribute(gate_up_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(down_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
}

void launch_decode(const DecodeArgs& a, cudaStream_t stream) {
  constexpr int kMaxY = 65535;
  const int pairs = a.tokens * a.top_k;
  const size_t gu_smem = sizeof(float) * padded_len(a.hidden);
  for (int base = 0; base < pairs; base += kMaxY) {
    const dim3 grid(a.ffn / kGuRows, min(kMaxY, pairs - base));
    gate_up_kernel<<<grid, kGuThreads, gu_smem, stream>>>(a, base);
    PV_CUDA_CHECK_LAUNCH("gate_up_kernel<<<...>>>");
  }
  const size_t dn_smem = sizeof(float) * size_t(a.top_k) * padded_len(a.ffn);
  for (int base = 0; base < a.tokens; base += kMaxY) {
    const dim3 grid(a.hidden / kDnRows, min(kMaxY, a.tokens - base));
    down_kernel<<<grid, kDnThreads, dn_smem, stream>>>(a, base);
    PV_CUDA_CHECK_LAUNCH("down_kernel<<<...>>>");
  }
}

}  // namespace pv::engine::cuda
