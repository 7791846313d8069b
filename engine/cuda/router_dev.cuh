#pragma once
// The router's arithmetic: RMSNorm, a logit, and a token's softmax, top-k and renormalisation,
// each by one warp. router_kernel (router.cu) and the fused decode stack (stack.cu) both call
// these functions, and every rounding is explicit (`__f*_rn`, never contracted into FMAs) or a
// fixed butterfly, so a token's routing is bitwise the same whichever kernel computes it and
// whatever other tokens share its batch.
#include <cstdint>

#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {

// Floats of one token's softmax scratch in shared memory (E, padded to 16 bytes).
__host__ __device__ constexpr int pz_stride(int n_experts) { return (n_experts + 3) & ~3; }

__device__ __forceinline__ float dot4_rn(const float4& a, const float4& b) {
  return __fmaf_rn(a.w, b.w, __fmaf_rn(a.z, b.z, __fmaf_rn(a.y, b.y, __fmul_rn(a.x, b.x))));
}

// RMSNorm's scale from the sum of squares ss of n4 float4s, and its application to 4 values with
// their weights g (the fused kernel's block_norm_logits calls these too).
__device__ __forceinline__ float rms_scale(float ss, int n4, float eps) {
  return 1.f / sqrtf(__fadd_rn(__fdiv_rn(ss, float(4 * n4)), eps));
}
__device__ __forceinline__ float4 rms_apply(float4 v, float scale, const float4& g) {
  v.x = __fmul_rn(__fmul_rn(v.x, scale), g.x);
  v.y = __fmul_rn(__fmul_rn(v.y, scale), g.y);
  v.z = __fmul_rn(__fmul_rn(v.z, scale), g.z);
  v.w = __fmul_rn(__fmul_rn(v.w, scale), g.w);
  return v;
}

// x = RMSNorm(h) * w for one token of H4 float4s: x goes to shared memory; h is read through
// L2 (__ldcg), since inside the fused stack another block wrote it. Lane l adds the squares of
// float4s l, l + 32, ... in order, then the butterfly.
__device__ __forceinline__ void warp_rms_norm(const float4* h, const float4* w, float4* x, int H4, float eps,
                                              int lane) {
  float ss = 0.f;
#pragma unroll 16
  for (int i = lane; i < H4; i += 32) {
    const float4 v = __ldcg(h + i);
    x[i] = v;
    ss = __fadd_rn(ss, dot4_rn(v, v));
  }
  const float scale = rms_scale(warp_sum(ss), H4, eps);
  for (int i = lane; i < H4; i += 32) x[i] = rms_apply(x[i], scale, __ldg(w + i));
}

// Logits of NE router rows (rows[j], j < ne) against NT normalised tokens (x + t * H4, t < nt):
// each row is read once for all tokens and each token's x once for all rows; every (row,
// token) value is the same sequence of operations as NE = NT = 1 (out[j * NT + t]).
template <int NT, int NE = 1>
__device__ __forceinline__ void warp_logits(const float4* const (&rows)[NE], int ne, const float4* x, int H4, int nt,
                                            int lane, float* out) {
  float acc[NE][NT];
#pragma unroll
  for (int j = 0; j < NE; ++j)
#pragma unroll
    for (int t = 0; t < NT; ++t) acc[j][t] = 0.f;
#pragma unroll 8
  for (int i = lane; i < H4; i += 32) {
    float4 r[NE];
#pragma unroll
    for (int j = 0; j < NE; ++j)
      if (NE == 1 || j < ne) r[j] = __ldg(rows[j] + i);
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      if (t >= nt) continue;
      const float4 xv = x[t * H4 + i];
#pragma unroll
      for (int j = 0; j < NE; ++j)
        if (NE == 1 || j < ne) acc[j][t] = __fadd_rn(acc[j][t], dot4_rn(r[j], xv));
    }
  }
#pragma unroll
  for (int j = 0; j < NE; ++j)
#pragma unroll
    for (int t = 0; t < NT; ++t) out[j * NT + t] = warp_sum(acc[j][t]);
}

// Softmax over the E logits z of one token (read through L2) by one warp: pz (shared) gets the
// E probabilities, and probs too when not null.
__device__ __forceinline__ void warp_softmax(const float* z, int E, float* pz, float* probs, int lane) {
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
}

// The top-k order as one 64-bit key, larger first: probability descending (its bits made
// monotonic; -0 as +0), ties to the lower index (the CPU's rule, ~e in the low half), and a NaN
// after every number (high half 0, below any number's), NaNs among themselves by index. The
// order is total, so the selection is k distinct experts, the same on every run, whatever the
// probabilities; and a warp finds the largest key with two integer reductions, no branches.
__device__ __forceinline__ unsigned long long topk_key(float p, int e) {
  unsigned u = __float_as_uint(p == 0.f ? 0.f : p);
  u = p != p ? 0u : (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  return (static_cast<unsigned long long>(u) << 32) | static_cast<unsigned>(~e);
}

// The largest of the lanes' keys, by two integer reductions: of the high halves, then of the
// low halves that go with the largest high half.
__device__ __forceinline__ unsigned long long warp_max_key(unsigned long long key) {
  const unsigned hi = __reduce_max_sync(0xffffffffu, unsigned(key >> 32));
  const unsigned lo = __reduce_max_sync(0xffffffffu, unsigned(key >> 32) == hi ? unsigned(key) : 0u);
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}

// Top-k of the E probabilities pz (shared, complete) by one warp, K <= E: pick j is the largest
// key below pick j - 1's (each lane scans every 32nd expert, then warp_max_key). Lane 0 writes sel_e[j] and sel_w[j] (shared
// or global memory).
// kRegs: keys a lane holds in registers (E <= 32 kRegs); more are recomputed per pick. The
// selection does not depend on it: keys past E are 0, below every expert's.
template <int kRegs>
__device__ __forceinline__ void warp_topk(const float* pz, int E, int K, std::int32_t* sel_e, float* sel_w, int lane) {
  unsigned long long key[kRegs];
#pragma unroll
  for (int m = 0; m < kRegs; ++m) key[m] = lane + 32 * m < E ? topk_key(pz[lane + 32 * m], lane + 32 * m) : 0ull;
  unsigned long long prev = ~0ull;  // above every key
  for (int j = 0; j < K; ++j) {
    unsigned long long best = 0;  // below every key (no expert has ~e == 0)
#pragma unroll
    for (int m = 0; m < kRegs; ++m)
      if (key[m] < prev && key[m] > best) best = key[m];
    for (int e = lane + 32 * kRegs; e < E; e += 32) {
      const unsigned long long k = topk_key(pz[e], e);
      if (k < prev && k > best) best = k;
    }
    prev = warp_max_key(best);
    if (lane == 0) {
      sel_e[j] = int(~unsigned(prev));
      sel_w[j] = pz[int(~unsigned(prev))];
    }
  }
}

// warp_softmax with the logits and probabilities in registers, for E <= 32 M: lane l holds
// experts l + 32 m in p[m] (0 past E). The same operations in the same order, so bitwise the
// same probabilities; the loops unroll, so a lane's exponentials and divisions overlap (the
// shared-memory loops ran them one after another: ~1 us of a 23 us layer at T = 1 on the H100).
template <int M>
__device__ __forceinline__ void warp_softmax_regs(const float* z, int E, float* probs, float (&p)[M], int lane) {
  float m = -INFINITY;
#pragma unroll
  for (int i = 0; i < M; ++i) {
    p[i] = lane + 32 * i < E ? __ldcg(z + lane + 32 * i) : 0.f;
    if (lane + 32 * i < E) m = fmaxf(m, p[i]);
  }
  m = warp_max(m);
  float s = 0.f;
#pragma unroll
  for (int i = 0; i < M; ++i)
    if (lane + 32 * i < E) {
      p[i] = expf(__fsub_rn(p[i], m));
      s = __fadd_rn(s, p[i]);
    }
  s = warp_sum(s);
#pragma unroll
  for (int i = 0; i < M; ++i)
    if (lane + 32 * i < E) {
      p[i] = __fdiv_rn(p[i], s);
      if (probs) probs[lane + 32 * i] = p[i];
    }
}

// Top-k of the probabilities p (warp_softmax_regs's layout) by one warp, K <= E: each lane
// sorts its keys once (largest first, a fixed network); then pick j is the largest of the
// lanes' first keys (warp_max_key), and the lane that holds it writes sel_e[j] and sel_w[j]
// (shared or global memory) and shifts its keys up.
// The same picks as warp_topk, without comparing every key per pick (that took ~1.5 us
// of a 23 us layer at T = 1 on the H100).
template <int M>
__device__ __forceinline__ void warp_topk_regs(float (&p)[M], int E, int K, std::int32_t* sel_e, float* sel_w,
                                               int lane) {
  unsigned long long key[M];
#pragma unroll
  for (int i = 0; i < M; ++i) key[i] = lane + 32 * i < E ? topk_key(p[i], lane + 32 * i) : 0ull;
#pragma unroll
  for (int r = 0; r < M; ++r)  // odd-even transposition sort
#pragma unroll
    for (int i = r & 1; i + 1 < M; i += 2)
      if (key[i] < key[i + 1]) {
        const unsigned long long k = key[i];
        key[i] = key[i + 1];
        key[i + 1] = k;
        const float q = p[i];
        p[i] = p[i + 1];
        p[i + 1] = q;
      }
  for (int j = 0; j < K; ++j) {
    const unsigned long long best = warp_max_key(key[0]);
    if (key[0] == best) {  // keys are distinct: one lane
      sel_e[j] = int(~unsigned(best));
      sel_w[j] = p[0];
#pragma unroll
      for (int i = 0; i + 1 < M; ++i) {
        key[i] = key[i + 1];
        p[i] = p[i + 1];
      }
      key[M - 1] = 0;
    }
  }
}

// The sum of the k selected probabilities, in double, in selection order (an f32 running sum
// of k terms carries up to ~k * 2^-24 relative error, k = 256: 1.5e-5; in double each weight
// carries only its own final rounding).
__device__ __forceinline__ double selected_sum(const float* sel_w, int K) {
  double sum = 0.0;
  for (int j = 0; j < K; ++j) sum += double(sel_w[j]);
  return sum;
}
// A selected probability as a weight: divided by the sum, 1/k each when the sum is 0.
__device__ __forceinline__ float renormalised(float p, double sum, int K) {
  return sum > 0.0 ? float(double(p) / sum) : 1.f / float(K);
}

// One token's selection by one warp: softmax over its E logits z (read through L2) into pz
// (shared scratch; probs too when not null), top-k into sel_e / sel_w (shared or global), the
// weights still the selected probabilities.
__device__ __forceinline__ void warp_select(const float* z, int E, int K, float* pz, float* probs, std::int32_t* sel_e,
                                            float* sel_w, int lane) {
  warp_softmax(z, E, pz, probs, lane);
  __syncwarp();
  // Each pick compares every key a lane holds: 4 for up to 128 experts (Qwen3's), else 8.
  if (E <= 128) warp_topk<4>(pz, E, K, sel_e, sel_w, lane);
  else warp_topk<8>(pz, E, K, sel_e, sel_w, lane);
  __syncwarp();
}
// warp_select for the fused stack: in registers up to E = 128 (Qwen3's: 4 a lane). router_kernel
// keeps warp_select: with the register version inlined, the compiler scheduled that kernel's
// logits loop differently (48-64 registers instead of 79) and it took 17.4 -> 26.5 us at T = 32
// on the H100 (ncu). Both pick the same experts (one total order of keys; tested bitwise).
__device__ __forceinline__ void warp_select_fast(const float* z, int E, int K, float* pz, float* probs,
                                                 std::int32_t* sel_e, float* sel_w, int lane) {
  if (E > 128) return warp_select(z, E, K, pz, probs, sel_e, sel_w, lane);
  float p[4];
  warp_softmax_regs(z, E, probs, p, lane);
  warp_topk_regs(p, E, K, sel_e, sel_w, lane);
  __syncwarp();
}
// The selected probabilities sel_w of one token renormalised in place, by one warp.
__device__ __forceinline__ void warp_renormalise(float* sel_w, int K, int lane) {
  const double sum = selected_sum(sel_w, K);
  __syncwarp();  // every lane has read the weights before they are overwritten
  for (int j = lane; j < K; j += 32) sel_w[j] = renormalised(sel_w[j], sum, K);
}
// One token's routing by one warp: warp_select, then warp_renormalise. router_kernel routes
// with it; the fused stack calls the two halves apart (the experts are needed first).
__device__ __forceinline__ void warp_route(const float* z, int E, int K, float* pz, float* probs, std::int32_t* sel_e,
                                           float* sel_w, int lane) {
  warp_select(z, E, K, pz, probs, sel_e, sel_w, lane);
  warp_renormalise(sel_w, K, lane);
}

}  // namespace pv::engine::cuda
