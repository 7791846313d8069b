// Router: RMSNorm + router logits + softmax over all E + top-k (ties: lower index first) +
// renormalisation (each weight 1/k when the selected sum is 0), in one launch. A block handles
// up to kRT tokens so the router matrix is read once per kRT tokens (a GEMM for many tokens,
// a GEMV for one).
#include <algorithm>

#include "engine/cuda/check.hpp"
#include "engine/cuda/kernels.hpp"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {
namespace {

constexpr int kRT = 8;          // tokens per block
constexpr int kThreads = 128;   // 4 warps

// grid (chunks, token groups of kRT). Each block normalises its tokens and computes the logits
// of its chunk of experts (a warp per expert, kRT tokens at once, so the router matrix is read
// once per kRT tokens), writes them to global memory, and the last block of a token group to
// finish (an integer atomic ticket, the threadFenceReduction pattern) does softmax, top-k and
// renormalisation for the group. Spreading the 1 MB router over many SMs matters at T = 1.
// The fault variant drops the barrier after the first step of the shared-memory tree reduction
// of the sum of squares, so warp 0 may read partial sums warp 1 has not written yet
// (Fault::cuda_reduction_race; racecheck reports it).
template <bool kRacy>
__global__ void __launch_bounds__(kThreads) router_kernel(RouterArgs a) {
  extern __shared__ float smem[];
  const int H = a.hidden, E = a.n_experts;
  float* xs = smem;                  // [kRT][H]
  float* logits = xs + kRT * H;      // [kRT][E]
  float* red = logits + kRT * E;     // [kRT][kThreads]
  __shared__ bool last;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int t0 = blockIdx.y * kRT;
  const int nt = min(kRT, a.tokens - t0);

  // Loads through the read-only path, unrolled so each thread has several in flight: at
  // T = 1 this kernel is a chain of memory round trips, and each one costs about a microsecond.
  float4* x4s = reinterpret_cast<float4*>(xs);
  const float4* h4 = reinterpret_cast<const float4*>(a.h);
  const float4* n4 = reinterpret_cast<const float4*>(a.norm);
  const int H4 = H / 4;
  for (int tt = 0; tt < kRT; ++tt) {
    float ss = 0.f;
    if (tt < nt) {
#pragma unroll 4
      for (int i = tid; i < H4; i += kThreads) {
        const float4 v = __ldg(h4 + (size_t)(t0 + tt) * H4 + i);
        x4s[tt * H4 + i] = v;
        ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
      }
    } else {
      for (int i = tid; i < H4; i += kThreads) x4s[tt * H4 + i] = make_float4(0.f, 0.f, 0.f, 0.f);
    }
    red[tt * kThreads + tid] = ss;
  }
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s >>= 1) {
    if (tid < s)
      for (int tt = 0; tt < kRT; ++tt) red[tt * kThreads + tid] += red[tt * kThreads + tid + s];
    if (!kRacy || s != kThreads / 2) __syncthreads();
  }
#pragma unroll 4
  for (int i = tid; i < H4; i += kThreads) {
    const float4 w = __ldg(n4 + i);
    for (int tt = 0; tt < nt; ++tt) {
      const float scale = 1.f / sqrtf(red[tt * kThreads] / float(H) + a.eps);
      float4 v = x4s[tt * H4 + i];
      v.x = v.x * scale * w.x;
      v.y = v.y * scale * w.y;
      v.z = v.z * scale * w.z;
      v.w = v.w * scale * w.w;
      x4s[tt * H4 + i] = v;
    }
  }
  __syncthreads();

  // Normalised activations for the experts (q8: rounded to the int8 grid per 32 values).
  if (blockIdx.x == 0) {
    for (int tt = 0; tt < nt; ++tt) {
      for (int g = warp; g < H / 32; g += kThreads / 32) {
        float v = xs[tt * H + 32 * g + lane];
        if (a.q8) v = q8_round(v);
        const size_t o = (size_t)(t0 + tt) * H + 32 * g + lane;
        a.xn[o] = v;
        if (a.xh) a.xh[o] = __float2half_rn(v);
      }
    }
  }

  // Logits of this block's experts: warp per expert, float4 over hidden, kRT tokens at once.
  const int epb = (E + gridDim.x - 1) / gridDim.x;
  const int e0 = blockIdx.x * epb, e1 = min(E, e0 + epb);
  const float4* r4 = reinterpret_cast<const float4*>(a.router);
  const float4* x4 = reinterpret_cast<const float4*>(xs);
  for (int e = e0 + warp; e < e1; e += kThreads / 32) {
    float acc[kRT];
#pragma unroll
    for (int tt = 0; tt < kRT; ++tt) acc[tt] = 0.f;
#pragma unroll 16
    for (int i = lane; i < H / 4; i += 32) {
      const float4 r = __ldg(r4 + (size_t)e * (H / 4) + i);
#pragma unroll
      for (int tt = 0; tt < kRT; ++tt) {
        const float4 x = x4[tt * (H / 4) + i];
        acc[tt] += r.x * x.x + r.y * x.y + r.z * x.z + r.w * x.w;
      }
    }
#pragma unroll
    for (int tt = 0; tt < kRT; ++tt) {
      const float s = warp_sum(acc[tt]);
      if (lane == 0 && tt < nt) a.logits[(size_t)(t0 + tt) * E + e] = s;
    }
  }
  __threadfence();
  __syncthreads();
  if (tid == 0) last = atomicAdd(&a.tickets[blockIdx.y], 1) == int(gridDim.x) - 1;
  __syncthreads();
  if (!last) return;
  if (tid == 0) a.tickets[blockIdx.y] = 0;  // ready for the next launch or graph replay
  __threadfence();
  for (int i = tid; i < nt * E; i += kThreads) logits[i] = __ldcg(a.logits + (size_t)t0 * E + i);
  __syncthreads();

  // Softmax over all E and top-k: one warp per token.
  for (int tt = warp; tt < nt; tt += kThreads / 32) {
    const int t = t0 + tt;
    float* z = logits + tt * E;
    float m = -INFINITY;
    for (int e = lane; e < E; e += 32) m = fmaxf(m, z[e]);
    m = warp_max(m);
    float s = 0.f;
    for (int e = lane; e < E; e += 32) {
      const float ex = expf(z[e] - m);
      z[e] = ex;
      s += ex;
    }
    s = warp_sum(s);
    for (int e = lane; e < E; e += 32) {
      z[e] = z[e] / s;
      a.probs[(size_t)t * E + e] = z[e];
    }
    __syncwarp();
    float sel_sum = 0.f;
    float sel_p[32];  // k <= 32 (checked on the host); indexed by the unrolled loop only
#pragma unroll
    for (int j = 0; j < 32; ++j) {
      if (j < a.top_k) {
        float bp = -1.f;
        int be = 0x7fffffff;
        for (int e = lane; e < E; e += 32) {
          const float p = z[e];
          if (p > bp) { bp = p; be = e; }  // lane-strided e ascending: ties keep lower e
        }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
          const float op = __shfl_xor_sync(0xffffffffu, bp, o);
          const int oe = __shfl_xor_sync(0xffffffffu, be, o);
          if (op > bp || (op == bp && oe < be)) { bp = op; be = oe; }
        }
        sel_p[j] = bp;
        sel_sum += bp;  // in selection order, as the CPU sums
        if (lane == 0) {
          a.experts[(size_t)t * a.top_k + j] = be;
          z[be] = -2.f;  // taken
        }
        __syncwarp();
      }
    }
    if (lane == 0) {
#pragma unroll
      for (int j = 0; j < 32; ++j)
        if (j < a.top_k)
          a.weights[(size_t)t * a.top_k + j] = sel_sum > 0.f ? sel_p[j] / sel_sum : 1.f / float(a.top_k);
    }
  }
}

size_t router_smem(int hidden, int n_experts) {
  return sizeof(float) * (size_t(kRT) * hidden + size_t(kRT) * n_experts + size_t(kRT) * kThreads);
}

}  // namespace

int router_token_groups(int tokens) { return (tokens + kRT - 1) / kRT; }

void configure_router() {
  const int max = 200 * 1024;
  PV_CUDA_CHECK(cudaFuncSetAttribute(router_kernel<false>, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(router_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
}

void launch_router(const RouterArgs& a, cudaStream_t stream) {
  // About two blocks per SM in all, at least one expert per warp.
  const int groups = router_token_groups(a.tokens);
  const int max_chunks = std::max(1, a.n_experts / (kThreads / 32));
  const int chunks = std::max(1, std::min(max_chunks, (2 * a.sm_count + groups - 1) / groups));
  const dim3 grid(chunks, groups);
  const size_t smem = router_smem(a.hidden, a.n_experts);
  if (a.racy) router_kernel<true><<<grid, kThreads, smem, stream>>>(a);
  else router_kernel<false><<<grid, kThreads, smem, stream>>>(a);
  PV_CUDA_CHECK_LAUNCH("router_kernel<<<...>>>");
}

}  // namespace pv::engine::cuda
