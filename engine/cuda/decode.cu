// Decode path (and exact mode for any T): per (token, selected expert) pair, so only the
// selected experts' rows are read and a token's output never depends on the rest of its batch.
//   gate_up_kernel: grid (ffn/8, pairs), 4 warps x 2 rows. The block stages its 8 gate and 8
//     up rows into shared memory with cp.async (all bytes in flight at once), then each lane
//     walks 64-value units (dot_unit), butterfly reduction, act = silu(g) * u (f32).
//   down_kernel: grid (hidden/8, tokens), 4 warps x 2 rows. Stages the k experts' 8 down rows
//     and the k act vectors (q8: rounded to the Q8_1 grid per 32 values here), then lanes walk
//     (expert j, unit) items of all k experts, so short rows (ffn 768 = 12 units) keep every
//     lane busy; out = h + sum_j w_j * (W_down_j act_j), in a fixed order.
#include <algorithm>

#include "engine/cuda/check.hpp"
#include "engine/cuda/kernels.hpp"
#include "engine/cuda/quant_dev.cuh"
#include "engine/cuda/stage.cuh"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {
namespace {

constexpr int kRows = 8, kThreads = 128;  // both kernels: 4 warps x 2 rows

__device__ __forceinline__ const std::uint8_t* row_ptr(const DevMat& m, int e, int r) {
  return m.data + (size_t)e * m.expert_bytes + (size_t)r * m.row_bytes;
}

// f32 vector of n values into the padded layout, plus its sums per 32 values.
__device__ __forceinline__ void stage_vector(float* xs, float* xsum, const float* src, int n, bool q8) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int g = warp; g < n / 32; g += kThreads / 32) {
    float v = src[32 * g + lane];
    if (q8) v = q8_round(v);
    xs[xp(32 * g + lane)] = v;
    const float s = warp_sum(v);
    if (lane == 0) xsum[g] = s;
  }
}

__global__ void __launch_bounds__(kThreads) gate_up_kernel(DecodeArgs a, int pair_base) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int H = a.hidden, tid = threadIdx.x;
  float* xs = reinterpret_cast<float*>(smem);                 // padded [H]
  float* xsum = xs + padded_len(H);                           // [H/32]
  std::uint8_t* wbuf = reinterpret_cast<std::uint8_t*>(xsum + H / 32);
  const size_t gslot = slot_bytes(a.gate.row_bytes), uslot = slot_bytes(a.up.row_bytes);
  const int pair = pair_base + blockIdx.y;
  const int t = pair / a.top_k, e = a.experts[pair];
  const int r0 = blockIdx.x * kRows;
  for (int r = 0; r < kRows; ++r) {
    stage_row(wbuf + r * gslot, row_ptr(a.gate, e, r0 + r), a.gate.row_bytes, tid, kThreads);
    stage_row(wbuf + kRows * gslot + r * uslot, row_ptr(a.up, e, r0 + r), a.up.row_bytes, tid, kThreads);
  }
  stage_vector(xs, xsum, a.xn + (size_t)t * H, H, false);  // xn is already on the q8 grid in q8 mode
  cp_async_wait_all();
  __syncthreads();
  const int lane = tid & 31, warp = tid >> 5, units = H / 64;
  // Where this warp's two gate and two up rows start in their slots (see stage.cuh).
  auto in_slot = [&](const DevMat& m, int r) { return reinterpret_cast<std::uintptr_t>(row_ptr(m, e, r)) & 15; };
  const int ra = 2 * warp, rb = 2 * warp + 1;
  const std::uint8_t* ga = wbuf + ra * gslot + in_slot(a.gate, r0 + ra);
  const std::uint8_t* gb = wbuf + rb * gslot + in_slot(a.gate, r0 + rb);
  const std::uint8_t* ua = wbuf + kRows * gslot + ra * uslot + in_slot(a.up, r0 + ra);
  const std::uint8_t* ub = wbuf + kRows * gslot + rb * uslot + in_slot(a.up, r0 + rb);
  float g0 = 0.f, g1 = 0.f, u0 = 0.f, u1 = 0.f;
  for (int un = lane; un < units; un += 32) {
    g0 += dot_unit(a.gate.type, ga, un, xs, xsum);
    g1 += dot_unit(a.gate.type, gb, un, xs, xsum);
    u0 += dot_unit(a.up.type, ua, un, xs, xsum);
    u1 += dot_unit(a.up.type, ub, un, xs, xsum);
  }
  g0 = warp_sum(g0);
  g1 = warp_sum(g1);
  u0 = warp_sum(u0);
  u1 = warp_sum(u1);
  if (lane == 0) {
    float* out = a.act + (size_t)pair * a.ffn + r0 + 2 * warp;
    out[0] = silu(g0) * u0;
    out[1] = silu(g1) * u1;
  }
}

__global__ void __launch_bounds__(kThreads) down_kernel(DecodeArgs a, int token_base) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int t = token_base + blockIdx.y;
  const int k = a.top_k, F = a.ffn, FP = padded_len(F), tid = threadIdx.x;
  float* acts = reinterpret_cast<float*>(smem);   // [k][FP]
  float* asum = acts + k * FP;                    // [k][F/32]
  std::uint8_t* wbuf = reinterpret_cast<std::uint8_t*>(asum + k * (F / 32));
  const size_t slot = slot_bytes(a.down.row_bytes);
  const int r0 = blockIdx.x * kRows;
  for (int j = 0; j < k; ++j) {
    const int e = a.experts[(size_t)t * k + j];
    for (int r = 0; r < kRows; ++r)
      stage_row(wbuf + (j * kRows + r) * slot, row_ptr(a.down, e, r0 + r), a.down.row_bytes, tid, kThreads);
  }
  for (int j = 0; j < k; ++j)
    stage_vector(acts + j * FP, asum + j * (F / 32), a.act + ((size_t)t * k + j) * F, F, a.q8);
  cp_async_wait_all();
  __syncthreads();
  const int lane = tid & 31, warp = tid >> 5, units = F / 64;
  float acc0 = 0.f, acc1 = 0.f;
  for (int it = lane; it < k * units; it += 32) {
    const int j = it / units, un = it - j * units;
    const float w = a.weights[(size_t)t * k + j];
    const int e = a.experts[(size_t)t * k + j];
    const size_t s0 = (j * kRows + 2 * warp) * slot;
    // The slot holds the row from its 16-byte-aligned start; recompute the row's offset.
    const size_t o = (reinterpret_cast<std::uintptr_t>(row_ptr(a.down, e, r0 + 2 * warp)) & 15);
    const size_t o1 = (reinterpret_cast<std::uintptr_t>(row_ptr(a.down, e, r0 + 2 * warp + 1)) & 15);
    acc0 += w * dot_unit(a.down.type, wbuf + s0 + o, un, acts + j * FP, asum + j * (F / 32));
    acc1 += w * dot_unit(a.down.type, wbuf + s0 + slot + o1, un, acts + j * FP, asum + j * (F / 32));
  }
  acc0 = warp_sum(acc0);
  acc1 = warp_sum(acc1);
  if (lane == 0) {
    const size_t o = (size_t)t * a.hidden + r0 + 2 * warp;
    a.out[o] = a.h[o] + acc0;
    a.out[o + 1] = a.h[o + 1] + acc1;
  }
}

size_t gate_up_smem(const DecodeArgs& a) {
  return sizeof(float) * (padded_len(a.hidden) + a.hidden / 32) +
         kRows * (slot_bytes(a.gate.row_bytes) + slot_bytes(a.up.row_bytes));
}
size_t down_smem(const DecodeArgs& a) {
  return sizeof(float) * size_t(a.top_k) * (padded_len(a.ffn) + a.ffn / 32) +
         size_t(a.top_k) * kRows * slot_bytes(a.down.row_bytes);
}

}  // namespace

void configure_decode() {
  const int max = 227 * 1024;
  PV_CUDA_CHECK(cudaFuncSetAttribute(gate_up_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(down_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
}

size_t decode_smem_needed(const DecodeArgs& a) { return std::max(gate_up_smem(a), down_smem(a)); }

void launch_decode(const DecodeArgs& a, cudaStream_t stream) {
  constexpr int kMaxY = 65535;
  const int pairs = a.tokens * a.top_k;
  for (int base = 0; base < pairs; base += kMaxY) {
    const dim3 grid(a.ffn / kRows, min(kMaxY, pairs - base));
    gate_up_kernel<<<grid, kThreads, gate_up_smem(a), stream>>>(a, base);
    PV_CUDA_CHECK_LAUNCH("gate_up_kernel<<<...>>>");
  }
  for (int base = 0; base < a.tokens; base += kMaxY) {
    const dim3 grid(a.hidden / kRows, min(kMaxY, a.tokens - base));
    down_kernel<<<grid, kThreads, down_smem(a), stream>>>(a, base);
    PV_CUDA_CHECK_LAUNCH("down_kernel<<<...>>>");
  }
}

}  // namespace pv::engine::cuda
