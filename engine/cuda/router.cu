// Router for the per-layer paths (the fused decode stack, stack.cu, spreads the norm and logits
// its own way, in the same order, and routes with warp_route's two halves): RMSNorm + router
// logits + softmax over all E + top-k (ties: lower index first) + renormalisation (each weight
// 1/k when the selected sum is 0), in one launch.
// grid (chunks, token groups of RT tokens), kThreads / 32 warps. Each block normalises its
// tokens (a warp per token), writes its share of their Q8_1 roundings, and computes the logits
// of its chunk of experts (a warp per expert, RT tokens at once, so the router matrix is read
// once per RT tokens: a GEMV at RT = 1, a small GEMM at RT = 8), writes them to global memory,
// and the last block of a token group to finish (an integer atomic ticket, the
// threadFenceReduction pattern) routes the group's tokens, a warp per token (softmax, top-k,
// renormalisation). The arithmetic is router_dev.cuh's, shared with the fused stack.
// Fault::cuda_reduction_race: the variant drops the barrier between the normalisation (each
// token's RMSNorm, a reduction, written to shared memory by one warp) and the logits (read by
// every warp), so warps may read a token before it is normalised (racecheck reports it;
// results change from run to run).
#include <algorithm>

#include "engine/cuda/check.hpp"
#include "engine/cuda/kernels.hpp"
#include "engine/cuda/pdl.cuh"
#include "engine/cuda/quant_q8.cuh"
#include "engine/cuda/router_dev.cuh"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {
namespace {

constexpr int kThreads = 256;  // 8 warps: with 4, at T = 512 each warp routed 2 tokens in series
constexpr int kWarps = kThreads / 32;
constexpr int kMaxRT = 8;
constexpr int kWideNE = 4;  // experts a warp takes at once where the grid still fills the device

// The router's rounding of one (token, 32-value group) by the 4 lanes of a quad (mask: those
// lanes; lane q holds values 8q .. 8q + 7): q8 mode rounds the values to their Q8_1 grid
// (q8_snap, as q8_round), xn gets them, and where xq is not null their quants, d and d *
// sum q (q8_store_quad). Bitwise the warp-per-group q8_round and q8_store.
__device__ __forceinline__ void quad_round_store(const float* xs, bool q8, float* xn, std::int8_t* xq, float* xd,
                                                 float* xsd, int q, unsigned mask) {
  float v[8];
  load8(xs + 8 * q, v);
  if (q8) {
    const Q8Grid g = q8_grid(quad_max(abs_max(v), mask));
#pragma unroll
    for (int i = 0; i < 8; ++i) v[i] = q8_snap(v[i], g);
  }
  reinterpret_cast<float4*>(xn + 8 * q)[0] = make_float4(v[0], v[1], v[2], v[3]);
  reinterpret_cast<float4*>(xn + 8 * q)[1] = make_float4(v[4], v[5], v[6], v[7]);
  if (xq != nullptr) q8_store_quad(v, xq, xd, xsd, q, mask);
}

template <int RT, int NE, bool kRacy>
__global__ void __launch_bounds__(kThreads) router_kernel(RouterArgs a) {
  extern __shared__ float4 smem4[];
  const int H = a.hidden, H4 = H / 4, E = a.n_experts, K = a.top_k;
  float4* x4s = smem4;                                     // [RT][H4]
  float* pz = reinterpret_cast<float*>(x4s + RT * H4);     // [kWarps][pz_stride(E)]
  __shared__ bool last;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int t0 = blockIdx.y * RT;
  const int nt = min(RT, a.tokens - t0);
  const int epb = (E + gridDim.x - 1) / gridDim.x;
  const int e0 = blockIdx.x * epb, e1 = min(E, e0 + epb);
  // Before the previous kernel's h is ready: pull this block's router rows and the norm
  // weights into L2 (one 128-byte line per lane and step).
  for (int e = e0 + warp; e < e1; e += kWarps)
    for (int off = 128 * lane; off < H * 4; off += 128 * 32)
      prefetch_l2(reinterpret_cast<const char*>(a.router + (size_t)e * H) + off);
  for (int off = 128 * tid; off < H * 4; off += 128 * kThreads)
    prefetch_l2(reinterpret_cast<const char*>(a.norm) + off);
  pdl_wait();
  pdl_launch_dependents();

  const float4* h4 = reinterpret_cast<const float4*>(a.h);
  for (int tt = warp; tt < nt; tt += kWarps)
    warp_rms_norm(h4 + (size_t)(t0 + tt) * H4, reinterpret_cast<const float4*>(a.norm), x4s + tt * H4, H4, a.eps, lane);
  if (!kRacy) __syncthreads();
  const float* xs = reinterpret_cast<const float*>(x4s);

  // Normalised activations for the experts (q8: rounded to the int8 grid per 32 values), a
  // quad per (token, 32 values), spread over the group's blocks: one block doing all of them
  // in series took most of the kernel's time at T = 512, and a warp per group a third of its
  // instructions.
  const int G = H / 32;
  for (int i = (blockIdx.x * kThreads + tid) / 4; i < nt * G; i += gridDim.x * (kThreads / 4)) {
    const int tt = i / G, g = i - tt * G;
    const size_t o = (size_t)(t0 + tt) * H + 32 * g, gi = (size_t)(t0 + tt) * G + g;
    quad_round_store(xs + tt * H + 32 * g, a.q8, a.xn + o, a.xq ? a.xq + o : nullptr, a.xd + gi, a.xsd + gi, lane & 3,
                     quad_mask(lane));
  }

  // NE consecutive experts a warp at once, so each x value loaded serves NE rows.
  const float4* r4 = reinterpret_cast<const float4*>(a.router);
  for (int e = e0 + NE * warp; e < e1; e += NE * kWarps) {
    const int ne = min(NE, e1 - e);
    const float4* rows[NE];
#pragma unroll
    for (int j = 0; j < NE; ++j) rows[j] = r4 + (size_t)(j < ne ? e + j : e) * H4;
    float z[NE * RT];
    warp_logits<RT, NE>(rows, ne, x4s, H4, nt, lane, z);
#pragma unroll
    for (int j = 0; j < NE; ++j)
#pragma unroll
      for (int tt = 0; tt < RT; ++tt)
        if (lane == 0 && j < ne && tt < nt) a.logits[(size_t)(t0 + tt) * E + e + j] = z[j * RT + tt];
  }
  __threadfence();
  __syncthreads();
  if (tid == 0) last = atomicAdd(&a.tickets[blockIdx.y], 1) == int(gridDim.x) - 1;
  __syncthreads();
  if (!last) return;
  if (tid == 0) a.tickets[blockIdx.y] = 0;  // ready for the next launch or graph replay
  __threadfence();
  // Routing a warp per token (warp_route; the fused stack calls its halves apart).
  for (int tt = warp; tt < nt; tt += kWarps) {
    const size_t t = size_t(t0 + tt);
    warp_route(a.logits + t * E, E, K, pz + warp * pz_stride(E), a.probs + t * E, a.experts + t * K,
               a.weights + t * K, lane);
  }
}

size_t router_smem(int rt, int hidden, int n_experts) {
  return sizeof(float) * (size_t(rt) * hidden + size_t(kWarps) * pz_stride(n_experts));
}

template <int RT, int NE>
void launch_rt(const RouterArgs& a, int chunks, cudaStream_t stream) {
  const dim3 grid(chunks, (a.tokens + RT - 1) / RT);
  const size_t smem = router_smem(RT, a.hidden, a.n_experts);
  launch_maybe_pdl(a.pdl, a.racy ? router_kernel<RT, NE, true> : router_kernel<RT, NE, false>, grid, dim3(kThreads),
                   smem, stream, "cudaLaunchKernelEx(router_kernel)", a);
}

// Every router_kernel instantiation launch_router uses.
template <class F>
void each_router_kernel(F f) {
  for (bool racy : {false, true}) {
    f(racy ? router_kernel<1, 1, true> : router_kernel<1, 1, false>);
    f(racy ? router_kernel<kMaxRT, 1, true> : router_kernel<kMaxRT, 1, false>);
    f(racy ? router_kernel<kMaxRT, kWideNE, true> : router_kernel<kMaxRT, kWideNE, false>);
  }
}

}  // namespace

// Token groups the ticket array needs: one per block row, at the smallest RT.
int router_token_groups(int tokens) { return tokens; }

void configure_router() {
  const int max = 200 * 1024;
  each_router_kernel([&](auto kernel) {
    PV_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  });
}

void launch_router(const RouterArgs& a, cudaStream_t stream) {
  // RT = 1 below 8 tokens (a token's logits then cost no work for absent tokens), 8 above.
  // About two blocks per SM in all, at least one expert per warp. Where a block per kWideNE x 8
  // experts and token group still gives every SM a block (T >= 257 with 128 experts on 132
  // SMs), a warp takes kWideNE experts at once: each x value it loads then serves that many rows.
  const int rt = a.tokens < kMaxRT ? 1 : kMaxRT;
  const int groups = (a.tokens + rt - 1) / rt;
  const int max_chunks = std::max(1, a.n_experts / kWarps);
  const int chunks = std::max(1, std::min(max_chunks, (2 * a.sm_count + groups - 1) / groups));
  const int wide_chunks = (a.n_experts + kWideNE * kWarps - 1) / (kWideNE * kWarps);
  if (rt == 1) launch_rt<1, 1>(a, chunks, stream);
  else if (groups * wide_chunks >= a.sm_count) launch_rt<kMaxRT, kWideNE>(a, wide_chunks, stream);
  else launch_rt<kMaxRT, 1>(a, chunks, stream);
}

}  // namespace pv::engine::cuda
