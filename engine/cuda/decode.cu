// Decode path (and exact mode for any T): per (token, selected expert) pair, so only the
// selected experts' rows are read and a token's output never depends on the rest of its batch.
//   gate_up_kernel: grid (ffn/32, pairs), 8 warps x 4 rows. The block stages its 32 gate and 32
//     up rows into shared memory with cp.async (all bytes in flight at once, no registers held),
//     then each lane walks 64-value units (dot_unit), butterfly reduction, act = silu(g) * u,
//     rounded to the Q8_1 grid per 32 values in q8 mode, with the sums per 32 (Q4_K's min term).
//   down_kernel: grid (hidden/8, tokens), 8 warps x 1 row. Stages the k experts' 8 down rows and
//     the k act vectors, then lanes walk (expert j, unit) items of all k experts, so short rows
//     (ffn 768 = 12 units) keep every lane busy; out = h + sum_j w_j * (W_down_j act_j), summed
//     in a fixed order.
#include <algorithm>

#include "engine/cuda/check.hpp"
#include "engine/cuda/kernels.hpp"
#include "engine/cuda/quant_dev.cuh"
#include "engine/cuda/stage.cuh"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {
namespace {

constexpr int kGuRows = 32, kGuThreads = 256;  // 8 warps x 4 rows
constexpr int kDnRows = 8, kDnThreads = 256;   // 8 warps x 1 row

__device__ __forceinline__ const std::uint8_t* row_ptr(const DevMat& m, int e, int r) {
  return m.data + (size_t)e * m.expert_bytes + (size_t)r * m.row_bytes;
}

__global__ void __launch_bounds__(kGuThreads) gate_up_kernel(DecodeArgs a, int pair_base) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ float act32[kGuRows];
  const int H = a.hidden, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  float* xs = reinterpret_cast<float*>(smem);  // padded [H]
  float* xsum = xs + padded_len(H);            // [H/32]
  std::uint8_t* wbuf = reinterpret_cast<std::uint8_t*>(xsum + H / 32);
  const size_t gslot = slot_bytes(a.gate.row_bytes), uslot = slot_bytes(a.up.row_bytes);
  std::uint8_t* ubuf = wbuf + kGuRows * gslot;
  const int pair = pair_base + blockIdx.y;
  const int t = pair / a.top_k, e = a.experts[pair];
  const int r0 = blockIdx.x * kGuRows;
  for (int i = warp; i < 2 * kGuRows; i += kGuThreads / 32) {
    if (i < kGuRows) stage_row(wbuf + i * gslot, row_ptr(a.gate, e, r0 + i), a.gate.row_bytes, lane, 32);
    else stage_row(ubuf + (i - kGuRows) * uslot, row_ptr(a.up, e, r0 + i - kGuRows), a.up.row_bytes, lane, 32);
  }
  for (int g = warp; g < H / 32; g += kGuThreads / 32) {  // xn is on the q8 grid already in q8 mode
    const float v = a.xn[(size_t)t * H + 32 * g + lane];
    xs[xp(32 * g + lane)] = v;
    const float s = warp_sum(v);
    if (lane == 0) xsum[g] = s;
  }
  cp_async_wait_all();
  __syncthreads();
  const int units = H / 64, rw = 4 * warp;
  float g[4] = {0.f, 0.f, 0.f, 0.f}, u[4] = {0.f, 0.f, 0.f, 0.f};
  for (int un = lane; un < units; un += 32) {
#pragma unroll
    for (int rr = 0; rr < 4; ++rr) {
      g[rr] += dot_unit(a.gate.type, in_slot(wbuf + (rw + rr) * gslot, row_ptr(a.gate, e, r0 + rw + rr)), un, xs, xsum);
      u[rr] += dot_unit(a.up.type, in_slot(ubuf + (rw + rr) * uslot, row_ptr(a.up, e, r0 + rw + rr)), un, xs, xsum);
    }
  }
#pragma unroll
  for (int rr = 0; rr < 4; ++rr) {
    const float gs = warp_sum(g[rr]), us = warp_sum(u[rr]);
    if (lane == 0) act32[rw + rr] = silu(gs) * us;
  }
  __syncthreads();
  if (warp == 0) {
    float v = act32[lane];
    if (a.q8) v = q8_round(v);
    a.act[(size_t)pair * a.ffn + r0 + lane] = v;
    const float s = warp_sum(v);
    if (lane == 0) a.act_sum[(size_t)pair * (a.ffn / 32) + blockIdx.x] = s;
  }
}

__global__ void __launch_bounds__(kDnThreads) down_kernel(DecodeArgs a, int token_base) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int t = token_base + blockIdx.y, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int k = a.top_k, F = a.ffn, FP = padded_len(F), G = F / 32;
  float* acts = reinterpret_cast<float*>(smem);  // [k][FP]
  float* asum = acts + k * FP;                   // [k][G], G padded to a multiple of 4
  const int GP = (G + 3) & ~3;
  std::uint8_t* wbuf = reinterpret_cast<std::uint8_t*>(asum + k * GP);
  const size_t slot = slot_bytes(a.down.row_bytes);
  const int r0 = blockIdx.x * kDnRows;
  for (int i = warp; i < k * kDnRows; i += kDnThreads / 32) {
    const int j = i / kDnRows, r = i - j * kDnRows;
    const int e = a.experts[(size_t)t * k + j];
    stage_row(wbuf + i * slot, row_ptr(a.down, e, r0 + r), a.down.row_bytes, lane, 32);
  }
  for (int i = tid; i < k * (F / 4); i += kDnThreads) {
    const int j = i / (F / 4), c = i - j * (F / 4);
    cp_async16(acts + j * FP + xp(4 * c), a.act + ((size_t)t * k + j) * F + 4 * c);
  }
  for (int i = tid; i < k * G; i += kDnThreads) {
    const int j = i / G, c = i - j * G;
    asum[j * GP + c] = a.act_sum[((size_t)t * k + j) * G + c];
  }
  cp_async_wait_all();
  __syncthreads();
  const int units = F / 64;
  const int r = r0 + warp;
  float acc = 0.f;
  for (int it = lane; it < k * units; it += 32) {
    const int j = it / units, un = it - j * units;
    const float w = a.weights[(size_t)t * k + j];
    const int e = a.experts[(size_t)t * k + j];
    const std::uint8_t* row = in_slot(wbuf + (j * kDnRows + warp) * slot, row_ptr(a.down, e, r));
    acc += w * dot_unit(a.down.type, row, un, acts + j * FP, asum + j * GP);
  }
  acc = warp_sum(acc);
  if (lane == 0) {
    const size_t o = (size_t)t * a.hidden + r;
    a.out[o] = a.h[o] + acc;
  }
}

size_t gate_up_smem(const DecodeArgs& a) {
  return sizeof(float) * (padded_len(a.hidden) + a.hidden / 32) +
         kGuRows * (slot_bytes(a.gate.row_bytes) + slot_bytes(a.up.row_bytes));
}
size_t down_smem(const DecodeArgs& a) {
  const size_t gp = size_t((a.ffn / 32 + 3) & ~3);
  return sizeof(float) * size_t(a.top_k) * (padded_len(a.ffn) + gp) +
         size_t(a.top_k) * kDnRows * slot_bytes(a.down.row_bytes);
}

}  // namespace

void configure_decode() {
  const int max = 200 * 1024;
  PV_CUDA_CHECK(cudaFuncSetAttribute(gate_up_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(down_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
}

std::size_t decode_smem_needed(const DecodeArgs& a) { return std::max(gate_up_smem(a), down_smem(a)); }

void launch_decode(const DecodeArgs& a, cudaStream_t stream) {
  constexpr int kMaxY = 65535;
  const int pairs = a.tokens * a.top_k;
  for (int base = 0; base < pairs; base += kMaxY) {
    const dim3 grid(a.ffn / kGuRows, min(kMaxY, pairs - base));
    gate_up_kernel<<<grid, kGuThreads, gate_up_smem(a), stream>>>(a, base);
    PV_CUDA_CHECK_LAUNCH("gate_up_kernel<<<...>>>");
  }
  for (int base = 0; base < a.tokens; base += kMaxY) {
    const dim3 grid(a.hidden / kDnRows, min(kMaxY, a.tokens - base));
    down_kernel<<<grid, kDnThreads, down_smem(a), stream>>>(a, base);
    PV_CUDA_CHECK_LAUNCH("down_kernel<<<...>>>");
  }
}

}  // namespace pv::engine::cuda
