#pragma once
// The router's arithmetic, one token per warp: RMSNorm, a logit, softmax + top-k +
// renormalisation. router_kernel (router.cu) and the fused decode stack (stack.cu) both call
// these functions, and every rounding is explicit (`__f*_rn`, never contracted into FMAs) or a
// fixed butterfly, so a token's routing is bitwise the same whichever kernel computes it and
// whatever other tokens share its batch.
#include <climits>
#include <cstdint>

#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {

__device__ __forceinline__ float dot4_rn(const float4& a, const float4& b) {
  return __fmaf_rn(a.w, b.w, __fmaf_rn(a.z, b.z, __fmaf_rn(a.y, b.y, __fmul_rn(a.x, b.x))));
}

// x = RMSNorm(h) * w for one token of H4 float4s: x goes to shared memory; h is read through
// L2 (__ldcg), since inside the fused stack another block wrote it.
__device__ __forceinline__ void warp_rms_norm(const float4* h, const float4* w, float4* x, int H4, float eps,
                                              int lane) {
  float ss = 0.f;
#pragma unroll 16
  for (int i = lane; i < H4; i += 32) {
    const float4 v = __ldcg(h + i);
    x[i] = v;
    ss = __fadd_rn(ss, dot4_rn(v, v));
  }
  ss = warp_sum(ss);
  const float scale = 1.f / sqrtf(__fadd_rn(__fdiv_rn(ss, float(4 * H4)), eps));
  for (int i = lane; i < H4; i += 32) {
    const float4 g = __ldg(w + i);
    float4 v = x[i];
    v.x = __fmul_rn(__fmul_rn(v.x, scale), g.x);
    v.y = __fmul_rn(__fmul_rn(v.y, scale), g.y);
    v.z = __fmul_rn(__fmul_rn(v.z, scale), g.z);
    v.w = __fmul_rn(__fmul_rn(v.w, scale), g.w);
    x[i] = v;
  }
}

// Logits of one router row against NT normalised tokens (x + t * H4, t < nt): the row is read
// once for all of them; each token's value is the same sequence of operations as NT = 1.
template <int NT>
__device__ __forceinline__ void warp_logits(const float4* row, const float4* x, int H4, int nt, int lane,
                                            float* out) {
  float acc[NT];
#pragma unroll
  for (int t = 0; t < NT; ++t) acc[t] = 0.f;
#pragma unroll 8
  for (int i = lane; i < H4; i += 32) {
    const float4 r = __ldg(row + i);
#pragma unroll
    for (int t = 0; t < NT; ++t)
      if (t < nt) acc[t] = __fadd_rn(acc[t], dot4_rn(r, x[t * H4 + i]));
  }
#pragma unroll
  for (int t = 0; t < NT; ++t) out[t] = warp_sum(acc[t]);
}

// Softmax over the E logits z of one token (read through L2), top-k by probability descending,
// ties to the lower index, and the k weights renormalised in double in selection order (each
// 1/k when the selected probabilities sum to 0). pz: E floats of shared scratch for this warp.
// probs (may be null): the E probabilities; sel_e/sel_w: the k experts and weights. The
// selection is k rounds of a warp arg-max (each lane scans its experts in ascending order, the
// butterfly keeps the larger probability, on a tie the lower index), which picks exactly the
// experts of rank 0..k-1 in the order (probability desc, index asc). A selected expert is
// marked -1 (probabilities are >= 0); an index is always in [0, E), even for NaN logits.
__device__ __forceinline__ void warp_route(const float* z, int E, int K, float* pz, float* probs,
                                           std::int32_t* sel_e, float* sel_w, int lane) {
  float m = -INFINITY;
#pragma unroll 8
  for (int e = lane; e < E; e += 32) {
    const float v = __ldcg(z + e);
    pz[e] = v;
    m = fmaxf(m, v);
  }
  m = warp_max(m);
  float s = 0.f;
  for (int e = lane; e < E; e += 32) {
    const float ex = expf(__fsub_rn(pz[e], m));
    pz[e] = ex;
    s = __fadd_rn(s, ex);
  }
  s = warp_sum(s);
  for (int e = lane; e < E; e += 32) {
    const float p = __fdiv_rn(pz[e], s);
    pz[e] = p;
    if (probs) probs[e] = p;
  }
  __syncwarp();
  double sum = 0.0;  // every lane accumulates the same sequence
  for (int j = 0; j < K; ++j) {
    float bp = -INFINITY;
    int be = -1;
    for (int e = lane; e < E; e += 32) {
      const float p = pz[e];
      if (be < 0 || p > bp) { bp = p; be = e; }
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const float op = __shfl_xor_sync(0xffffffffu, bp, o);
      const int oe = __shfl_xor_sync(0xffffffffu, be, o);
      if (oe >= 0 && (be < 0 || op > bp || (op == bp && oe < be))) { bp = op; be = oe; }
    }
    if (lane == 0) { sel_e[j] = be; sel_w[j] = bp; }
    if (lane == (be & 31)) pz[be] = -1.f;
    sum += double(bp);
    __syncwarp();
  }
  for (int j = lane; j < K; j += 32) sel_w[j] = sum > 0.0 ? float(double(sel_w[j]) / sum) : 1.f / float(K);
  __syncwarp();
}

}  // namespace pv::engine::cuda
