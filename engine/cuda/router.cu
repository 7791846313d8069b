// Router: RMSNorm + router logits + softmax over all E + top-k (ties: lower index first) +
// renormalisation (each weight 1/k when the selected sum is 0), in one launch.
// grid (chunks, token groups of RT tokens). Each block normalises its tokens and computes the
// logits of its chunk of experts (a warp per expert, RT tokens at once, so the router matrix
// is read once per RT tokens: a GEMV at RT = 1, a small GEMM at RT = 8), writes them to global
// memory, and the last block of a token group to finish (an integer atomic ticket, the
// threadFenceReduction pattern) does softmax, top-k and renormalisation for the group with the
// whole block: top-k by rank (an expert's rank = how many experts precede it in the order
// probability descending, index ascending), so no serial selection loop.
// Fault::cuda_reduction_race: the variant drops the barrier after the first step of the
// shared-memory tree reduction of the sum of squares, so warp 0 may read partial sums warp 1
// has not written yet (racecheck reports it; results may change from run to run).
#include <algorithm>

#include "engine/cuda/check.hpp"
#include "engine/cuda/kernels.hpp"
#include "engine/cuda/pdl.cuh"
#include "engine/cuda/quant_q8.cuh"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {
namespace {

constexpr int kThreads = 128;  // 4 warps
constexpr int kMaxRT = 8;
constexpr int kMaxExperts = 1024;  // CudaMoeEngine::load refuses more

// Deterministic block-wide sum or max of one value per thread (fixed order), via `scratch[4]`.
template <bool kMax>
__device__ __forceinline__ float block_reduce(float v, float* scratch) {
  v = kMax ? warp_max(v) : warp_sum(v);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float r = scratch[0];
  for (int w = 1; w < kThreads / 32; ++w) r = kMax ? fmaxf(r, scratch[w]) : r + scratch[w];
  return r;
}

template <int RT, bool kRacy>
__global__ void __launch_bounds__(kThreads) router_kernel(RouterArgs a) {
  extern __shared__ float smem[];
  const int H = a.hidden, E = a.n_experts, K = a.top_k;
  float* xs = smem;                 // [RT][H]
  float* red = xs + RT * H;         // [RT][kThreads]
  float* pz = red + RT * kThreads;  // [E] probabilities of the token being routed (+ padding)
  __shared__ float scratch[kThreads / 32];
  __shared__ float sel_p[kMaxExperts];  // selection order (any 1 <= k <= E <= kMaxExperts)
  __shared__ int sel_e[kMaxExperts];
  __shared__ double sel_sum;
  __shared__ bool last;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int t0 = blockIdx.y * RT;
  const int nt = min(RT, a.tokens - t0);
  const int epb = (E + gridDim.x - 1) / gridDim.x;
  const int e0 = blockIdx.x * epb, e1 = min(E, e0 + epb);
  // Before the previous kernel's h is ready: pull this block's router rows and the norm
  // weights into L2 (one 128-byte line per lane and step).
  for (int e = e0 + warp; e < e1; e += kThreads / 32)
    for (int off = 128 * lane; off < H * 4; off += 128 * 32)
      prefetch_l2(reinterpret_cast<const char*>(a.router + (size_t)e * H) + off);
  for (int off = 128 * tid; off < H * 4; off += 128 * kThreads)
    prefetch_l2(reinterpret_cast<const char*>(a.norm) + off);
  pdl_wait();
  pdl_launch_dependents();

  // Loads through the read-only path, unrolled so each thread has several in flight: at
  // T = 1 this kernel is a chain of memory round trips.
  float4* x4s = reinterpret_cast<float4*>(xs);
  const float4* h4 = reinterpret_cast<const float4*>(a.h);
  const float4* n4 = reinterpret_cast<const float4*>(a.norm);
  const int H4 = H / 4;
  for (int tt = 0; tt < RT; ++tt) {
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
#pragma unroll
      for (int tt = 0; tt < RT; ++tt) red[tt * kThreads + tid] += red[tt * kThreads + tid + s];
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
        if (a.xq) {
          const size_t gi = (size_t)(t0 + tt) * (H / 32) + g;
          q8_store(v, a.xq + o, a.xd + gi, a.xsd + gi, a.xs16 + 2 * gi + (lane >> 4), lane);
        }
      }
    }
  }

  // Logits of this block's experts: warp per expert, float4 over hidden, RT tokens at once.
  const float4* r4 = reinterpret_cast<const float4*>(a.router);
  for (int e = e0 + warp; e < e1; e += kThreads / 32) {
    float acc[RT];
#pragma unroll
    for (int tt = 0; tt < RT; ++tt) acc[tt] = 0.f;
#pragma unroll 16
    for (int i = lane; i < H4; i += 32) {
      const float4 r = __ldg(r4 + (size_t)e * H4 + i);
#pragma unroll
      for (int tt = 0; tt < RT; ++tt) {
        const float4 x = x4s[tt * H4 + i];
        acc[tt] += r.x * x.x + r.y * x.y + r.z * x.z + r.w * x.w;
      }
    }
#pragma unroll
    for (int tt = 0; tt < RT; ++tt) {
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
  for (int e = E + tid; e < ((E + 7) & ~7) + 8; e += kThreads) pz[e] = 0.f;

  for (int tt = 0; tt < nt; ++tt) {
    const int t = t0 + tt;
    const float* zg = a.logits + (size_t)t * E;
    float m = -INFINITY;
    for (int e = tid; e < E; e += kThreads) m = fmaxf(m, __ldcg(zg + e));
    m = block_reduce<true>(m, scratch);
    float s = 0.f;
    for (int e = tid; e < E; e += kThreads) {
      const float ex = expf(__ldcg(zg + e) - m);
      pz[e] = ex;
      s += ex;
    }
    s = block_reduce<false>(s, scratch);
    for (int e = tid; e < E; e += kThreads) {
      pz[e] = pz[e] / s;
      a.probs[(size_t)t * E + e] = pz[e];
    }
    __syncthreads();
    for (int e = tid; e < E; e += kThreads) {
      const float p = pz[e];
      int rank = 0;
      // nvcc 13.0 vectorises this loop into 12/16-byte shared loads that may reach past pz[E)
      // (memcheck, E = 6): pz is allocated with padding, see router_smem.
      for (int o = 0; o < E; ++o) {
        const float q = pz[o];
        rank += (q > p) || (q == p && o < e);
      }
      if (rank < K) {
        sel_p[rank] = p;
        sel_e[rank] = e;
      }
    }
    __syncthreads();
    // Renormalise in double, summed in selection order as the CPU does: an f32 running sum of
    // k terms carries up to ~k * 2^-24 relative error (k = 256: 1.5e-5), in double each weight
    // carries only its own final rounding, so the k weights sum to 1 within about 2^-24.
    if (tid == 0) {
      double sum = 0.0;
      for (int j = 0; j < K; ++j) sum += double(sel_p[j]);
      sel_sum = sum;
    }
    __syncthreads();
    for (int j = tid; j < K; j += kThreads) {
      a.experts[(size_t)t * K + j] = sel_e[j];
      a.weights[(size_t)t * K + j] = sel_sum > 0.0 ? float(double(sel_p[j]) / sel_sum) : 1.f / float(K);
    }
    __syncthreads();
  }
}

size_t router_smem(int rt, int hidden, int n_experts) {
  const size_t pz = size_t((n_experts + 7) & ~7) + 8;  // padded (see the rank loop)
  return sizeof(float) * (size_t(rt) * hidden + size_t(rt) * kThreads + pz);
}

template <int RT>
void launch_rt(const RouterArgs& a, int chunks, cudaStream_t stream) {
  const dim3 grid(chunks, (a.tokens + RT - 1) / RT);
  const size_t smem = router_smem(RT, a.hidden, a.n_experts);
  launch_maybe_pdl(a.pdl, a.racy ? router_kernel<RT, true> : router_kernel<RT, false>, grid, dim3(kThreads),
                   smem, stream, "cudaLaunchKernelEx(router_kernel)", a);
}

}  // namespace

// Token groups the ticket array needs: one per block row, at the smallest RT.
int router_token_groups(int tokens) { return tokens; }

void configure_router() {
  const int max = 200 * 1024;
  PV_CUDA_CHECK(cudaFuncSetAttribute(router_kernel<1, false>, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(router_kernel<1, true>, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(router_kernel<kMaxRT, false>, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(router_kernel<kMaxRT, true>, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
}

void launch_router(const RouterArgs& a, cudaStream_t stream) {
  // RT = 1 below 8 tokens (a token's logits then cost no work for absent tokens), 8 above.
  // About two blocks per SM in all, at least one expert per warp.
  const int rt = a.tokens < kMaxRT ? 1 : kMaxRT;
  const int groups = (a.tokens + rt - 1) / rt;
  const int max_chunks = std::max(1, a.n_experts / (kThreads / 32));
  const int chunks = std::max(1, std::min(max_chunks, (2 * a.sm_count + groups - 1) / groups));
  if (rt == 1) launch_rt<1>(a, chunks, stream);
  else launch_rt<kMaxRT>(a, chunks, stream);
}

}  // namespace pv::engine::cuda
