// Fused decode stack: all layers of a forward pass (T <= 16 tokens) in one cooperative launch,
// one block of 16 warps per SM. Per layer, three phases separated by grid-wide barriers:
//   R  each block normalises every token into shared memory, the float4 terms of the norm and
//      of its router rows spread over its warps (block_norm_logits); block b computes router
//      rows b, b + gridDim.x, ... Barrier (during which each block builds the experts'
//      activation vectors). Each block routes every token (a warp per token) into shared
//      memory, so no block waits for another to learn the experts; the weights are
//      renormalised, and block 0 writes the routing out, once phase G's first copies are out.
//   G  the T*k*ffn (pair, row) items of gate + up + SwiGLU, interleaved over the grid's warps, a
//      pipeline per warp (pipeline.cuh) whose lane 0 stages the gate and up rows with bulk
//      copies. act (f32) goes to global memory. Barrier (during which each block issues the
//      copies of its first down rows; pulling all of them into L2 during G instead was measured
//      slower: 0.172 against 0.153 ms/layer at T = 8, and 0.035 against 0.032 at T = 1).
//   D  the T*hidden (token, row) items: the block rounds the act vectors of its tokens onto
//      the Q8_1 grid (q8) in shared memory, then per item the k down rows (a lane's bulk copy
//      each), out = h + sum_j w_j * y_j in slot order. It also prefetches the next layer's
//      router rows. Barrier.
// Every value is computed by the functions the per-layer kernels use (router_dev.cuh,
// act_vec.cuh) or in their order, so the output is bitwise the per-layer path's (tested).
// Fault::cuda_reduction_race: the barrier between the norm's squares and their sums is dropped.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/cuda/act_vec.cuh"
#include "engine/cuda/check.hpp"
#include "engine/cuda/kernels.hpp"
#include "engine/cuda/pipeline.cuh"
#include "engine/cuda/router_dev.cuh"

namespace pv::engine::cuda {
namespace {

constexpr int kThreads = 512;
constexpr int kWarps = kThreads / 32;
constexpr int kMaxTokens = kWarps;  // a warp per token in phase R
constexpr int kGuDepth = 4, kDnDepth = 4;
static_assert(kGuDepth <= kBulkSlots && kDnDepth <= kBulkSlots, "a ring deeper than the warp's mbarriers");
constexpr int kStaticSmemReserve = 1024;  // the kernel's static shared memory (checked at start-up)
constexpr int kDnChunk = 8;  // down rows of one (token, row) item staged at once (any k: in chunks)
// Floats of one warp's phase-D scratch: the unit values of a chunk's rows.
__host__ __device__ constexpr int scratch_floats(int ffn) { return kDnChunk * (ffn / 64); }

__host__ __device__ constexpr std::size_t align16(std::size_t n) { return (n + 15) & ~std::size_t(15); }
// float4 terms per lane of a norm or a logit (block_norm_logits), and the shared memory they are parked in.
__host__ __device__ constexpr int logit_terms(int hidden) { return (hidden / 4 + 31) / 32; }
__host__ __device__ constexpr std::size_t logit_part_bytes(int tokens, int hidden) {
  return std::size_t(tokens) * logit_terms(hidden) * 32 * 4;
}

// Item range [lo, hi) of block b when n items are split evenly over nb blocks.
struct Range { long long lo, hi; };
__host__ __device__ inline Range share(long long n, int b, int nb) { return {n * b / nb, n * (b + 1) / nb}; }
// Number of items warp w handles in a range (items lo + w, lo + w + kWarps, ...).
__device__ __forceinline__ int warp_items(const Range& r, int w) {
  const long long n = r.hi - r.lo - w;
  return n > 0 ? int((n + kWarps - 1) / kWarps) : 0;
}

__device__ __forceinline__ unsigned long long globaltimer() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
__device__ __forceinline__ void mark(const StackArgs& a, int l, int k) {
  if (a.trace && blockIdx.x == 0 && threadIdx.x == 0) a.trace[l * kStackMarks + k] = globaltimer();
}
// The latest time any block reaches mark k of layer l (64-bit atomicMax; %globaltimer only
// grows, so the stamps of earlier launches never win).
__device__ __forceinline__ void mark_last(const StackArgs& a, int l, int k) {
  if (a.trace && threadIdx.x == 0) atomicMax(a.trace + l * kStackMarks + k, globaltimer());
}

// Block b's end of phase ph (0: G, 1: D) in layer l, for the spread across blocks.
__device__ __forceinline__ void mark_block(const StackArgs& a, int l, int ph) {
  if (a.trace_blocks && threadIdx.x == 0) a.trace_blocks[(size_t(l) * 2 + ph) * gridDim.x + blockIdx.x] = globaltimer();
}

// Grid-wide barrier in two halves, so that a block can do work that no other block waits for
// (building its own activation vectors, issuing the next phase's copies) between arriving and
// waiting. The cooperative launch keeps every block resident; the counter starts at 0 (a memset
// node before the kernel) and barrier number b completes when it reaches b * gridDim.x. As in
// CUTLASS's generic barrier: the block's writes are ordered before thread 0's releasing add by
// the block barrier, and its reads after thread 0's acquiring load by the next one.
__device__ __forceinline__ void grid_arrive(unsigned* count) {
  __syncthreads();
  if (threadIdx.x == 0)  // a release reduction: no full fence (MEMBAR.SC) before it
    asm volatile("red.release.gpu.global.add.u32 [%0], 1;\n" ::"l"(count) : "memory");
}
__device__ __forceinline__ void grid_wait(const unsigned* count, int barrier) {
  if (threadIdx.x == 0) {
    const unsigned target = unsigned(barrier) * gridDim.x;
    unsigned seen;
    do {
      asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(seen) : "l"(count) : "memory");
    } while (seen < target);
  }
  __syncthreads();
}
// Barrier numbers of layer l's three phases (1-based, in kernel order).
__device__ __forceinline__ int barrier_no(int l, int phase) { return 3 * l + phase; }

// Shared memory, in this order. Phase R's normalised tokens and terms (r) overlay everything
// from the act vectors on, which only phase D uses: T = 16 f32 tokens of 2048 values take 160 KB.
struct Smem {
  unsigned char* x;  // [T] activation vectors of hidden values (phase G)
  float* pz;         // [T][pz_stride(E)] softmax scratch
  std::int32_t* sel_e;  // [T * k]
  float* sel_w;         // [T * k]
  unsigned char* a;  // [act_tokens * k] activation vectors of ffn values (phase D)
  float* scratch;       // [kWarps][scratch_floats(ffn)] phase D
  unsigned char* u;  // G: gate/up ring; D: down ring
  // Phase R: normalised tokens, then the norm's and logits' terms, from the act vectors on.
  __device__ unsigned char* r() const { return a; }
};

// Phase R's norm and logits, spread over the block's warps. warp_rms_norm's lane l adds the
// squares of float4s i = l, l + 32, ... in order, and warp_logits's lane l adds dot4(row[i], x[i])
// in the same order. Here term j of every lane (i = l + 32 j) belongs to warp j % kWarps, which
// issues its loads of h, the norm weights and the first router row at once (one round trip to
// L2, not one per step); the terms are parked in shared memory and warp t adds token t's in
// order, then the same butterfly: bitwise warp_rms_norm and warp_logits. Block b computes the
// router rows e = b, b + gridDim.x, ... for every token.
__device__ __forceinline__ void block_norm_logits(const StackArgs& a, const StackLayer& L, const float* h,
                                                  const Smem& s, int lane, int warp, int l) {
  const int T = a.tokens, H4 = a.hidden / 4, E = a.n_experts, nterm = logit_terms(a.hidden);
  float4* xs = reinterpret_cast<float4*>(s.r());
  float* part = reinterpret_cast<float*>(s.r() + align16(std::size_t(T) * a.hidden * 4));  // [T][nterm][32]
  const float4 *h4 = reinterpret_cast<const float4*>(h), *w4 = reinterpret_cast<const float4*>(L.norm),
               *r4 = reinterpret_cast<const float4*>(L.router);
  auto term = [&](int t, int j) -> float& { return part[(t * nterm + j) * 32 + lane]; };
  auto has = [&](int j) { return j < nterm && lane + 32 * j < H4; };
  // A warp's first term's weights and router value, loaded together with h.
  const int i0 = lane + 32 * warp;
  float4 g0{}, r0{};
  if (has(warp)) {
    g0 = __ldg(w4 + i0);
    if (int(blockIdx.x) < E) r0 = __ldg(r4 + (size_t)blockIdx.x * H4 + i0);
  }
  for (int j = warp; j < nterm; j += kWarps)
    if (has(j))
      for (int t = 0; t < T; ++t) {
        const float4 v = __ldcg(h4 + (size_t)t * H4 + lane + 32 * j);
        xs[t * H4 + lane + 32 * j] = v;
        term(t, j) = dot4_rn(v, v);
      }
  // Fault::cuda_reduction_race drops this barrier: the sums below then read squares that other
  // warps may not have written yet.
  if (!a.racy) __syncthreads();
  __shared__ float scale[kMaxTokens];
  auto sum_terms = [&](int t) {  // warp t: the lane sums of token t's terms in order, then the butterfly
    float acc = 0.f;
    for (int j = 0; has(j); ++j) acc = __fadd_rn(acc, term(t, j));
    return warp_sum(acc);
  };
  if (warp < T) {
    const float ss = sum_terms(warp);
    if (lane == 0) scale[warp] = rms_scale(ss, H4, a.eps);
  }
  __syncthreads();
  mark(a, l, kMarkNorm);
  // The terms of router row e (when e < E), from this warp's x terms, which the first call
  // normalises (every block needs all of x, even one without a row).
  auto row_terms = [&](int e, bool first) {
    for (int j = warp; j < nterm; j += kWarps)
      if (has(j)) {
        const int i = lane + 32 * j;
        float4 r{};
        if (e < E) r = first && j == warp ? r0 : __ldg(r4 + (size_t)e * H4 + i);
        for (int t = 0; t < T; ++t) {
          float4 x = xs[t * H4 + i];
          if (first) {
            x = rms_apply(x, scale[t], j == warp ? g0 : __ldg(w4 + i));
            xs[t * H4 + i] = x;
          }
          if (e < E) term(t, j) = dot4_rn(r, x);
        }
      }
    __syncthreads();
  };
  row_terms(blockIdx.x, true);
  for (int e = blockIdx.x; e < E; e += gridDim.x) {
    if (e != int(blockIdx.x)) row_terms(e, false);
    if (warp < T) {
      const float z = sum_terms(warp);
      if (lane == 0) a.logits[(size_t)warp * E + e] = z;
    }
    __syncthreads();  // part is reused by the block's next row
  }
}

template <bool kQ8>
__device__ __forceinline__ void phase_router(const StackArgs& a, const StackLayer& L, const float* h, const Smem& s, int l) {
  const int T = a.tokens, H = a.hidden, H4 = H / 4, E = a.n_experts;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  float4* xs = reinterpret_cast<float4*>(s.r());
  block_norm_logits(a, L, h, s, lane, warp, l);
  mark(a, l, kMarkLogits);
  grid_arrive(a.barrier);
  // While the other blocks finish their logits.
  // The experts' activation vectors: a thread per 32 values (q8: rounded onto the Q8_1 grid).
  const size_t vb = vec_bytes(kQ8, H);
  for (int i = threadIdx.x; i < T * (H / 32); i += kThreads) {
    const int tt = i / (H / 32), g = i - tt * (H / 32);
    const float4* src = xs + tt * H4 + 8 * g;
    float v[32];
#pragma unroll
    for (int w = 0; w < 8; ++w) {
      const float4 f = src[w];
      v[4 * w] = f.x; v[4 * w + 1] = f.y; v[4 * w + 2] = f.z; v[4 * w + 3] = f.w;
    }
    if constexpr (kQ8) q8_round32(v);
    vec_store_group<kQ8>(v, s.x + tt * vb, H, g);
  }
  grid_wait(a.barrier, barrier_no(l, 1));
  mark(a, l, kMarkXBarrier);
  // Routing, in every block: a warp per token (warp_route's first half, as router_kernel
  // routes); the weights are renormalised later (finish_routing), once phase G's copies are out.
  const int K = a.top_k;
  if (warp < T)
    warp_select_fast(a.logits + (size_t)warp * E, E, K, s.pz + warp * pz_stride(E),
                     blockIdx.x == 0 ? a.probs + ((size_t)l * T + warp) * E : nullptr, s.sel_e + warp * K,
                     s.sel_w + warp * K, lane);
  __syncthreads();
  mark(a, l, kMarkRouted);
}

// warp_route's second half for token `warp`, by that warp, while its first rows are on their way
// (phase G reads only the experts; phase D reads the weights after a grid barrier). Block 0
// writes the routing out.
__device__ __forceinline__ void finish_routing(const StackArgs& a, const Smem& s, int l) {
  const int T = a.tokens, K = a.top_k, lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (warp >= T) return;
  warp_renormalise(s.sel_w + warp * K, K, lane);
  __syncwarp();
  if (blockIdx.x == 0)
    for (int j = lane; j < K; j += 32) {
      a.experts[((size_t)l * T + warp) * K + j] = s.sel_e[warp * K + j];
      a.weights[((size_t)l * T + warp) * K + j] = s.sel_w[warp * K + j];
    }
}

template <bool kQ8, int kGU>
__device__ __forceinline__ void phase_gate_up(const StackArgs& a, const StackLayer& L, const Smem& s, WarpBulk& wb,
                                              int l) {
  const int K = a.top_k, F = a.ffn, H = a.hidden;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  // Items gw, gw + nw, ... of the grid's nw warps (gw: this warp's rank in the grid), so every
  // block gets a mix of all pairs. With a contiguous share per block (one or two pairs at T = 8)
  // the last block ended phase G 7.4-8.5 us after block 0 at T = 8 (4.1 us interleaved), and
  // the layer took ~2% longer at every T from 1 to 16 (H100, builds alternating).
  const int gw = blockIdx.x * kWarps + warp, nw = gridDim.x * kWarps;
  const int items = a.tokens * K * F;
  const size_t gslot = slot_bytes(L.gate.row_bytes), pslot = gslot + slot_bytes(L.up.row_bytes);
  unsigned char* ring = s.u + (size_t)warp * a.gu_depth * pslot;
  const size_t vb = vec_bytes(kQ8, H);
  auto pair_row = [&](int n, int& p, int& r) {  // 32-bit: T * k * ffn < 2^31 (plan_stack checks)
    const int i = gw + n * nw;
    p = a.by_ffn.div(i);
    r = i - p * F;
  };
  auto stage = [&](int n, int slot) {  // lane 0 issues both rows
    if (lane != 0) return;
    int p, r;
    pair_row(n, p, r);
    const int e = s.sel_e[p];
    unsigned char* d = ring + slot * pslot;
    const RowSpan gs = row_span(row_ptr(L.gate, e, r), L.gate.row_bytes);
    const RowSpan us = row_span(row_ptr(L.up, e, r), L.up.row_bytes);
    bulk_expect(wb.bar + slot, unsigned(gs.bytes + us.bytes));
    bulk_copy(d, gs.base, unsigned(gs.bytes), wb.bar + slot);
    bulk_copy(d + gslot, us.base, unsigned(us.bytes), wb.bar + slot);
  };
  auto consume = [&](int n, int slot) {
    if (n == 0) mark(a, l, kMarkGuFirst);
    int p, r;
    pair_row(n, p, r);
    const int e = s.sel_e[p];
    const unsigned char* d = ring + slot * pslot;
    unsigned char* x = s.x + a.by_top_k.div(p) * vb;
    const float2 gu = row_dot2_vec<kQ8, kGU>(L.gate.type, in_slot(d, row_ptr(L.gate, e, r)), L.up.type,
                                             in_slot(d + gslot, row_ptr(L.up, e, r)), x, H, lane);
    if (lane == 0) a.act[(size_t)p * F + r] = silu(gu.x) * gu.y;
  };
  mark(a, l, kMarkGuFirst);  // again when warp 0's first rows have arrived, if it has any
  const int n = items > gw ? (items - gw + nw - 1) / nw : 0;
  bulk_pipeline_start(n, a.gu_depth, stage);
  finish_routing(a, s, l);
  bulk_pipeline_run(n, a.gu_depth, wb, stage, consume);
}

// Phase D. A pipeline item is (token, row, chunk of <= kDnChunk experts); its rows' units are
// spread over the lanes as one flat list (ffn 768 has 12 units a row: row_dot_vec would keep
// 20 of 32 lanes idle), parked in shared memory, and summed per row in row_dot_vec's order (lane
// sums, then the butterfly); lane 0 adds w_j * y_j in slot order, carrying the sum from chunk to
// chunk.
template <bool kQ8, int kDN>
__device__ __forceinline__ void phase_down(const StackArgs& a, const StackLayer& L, const StackLayer* next, const float* h,
                                           float* out, const Smem& s, WarpBulk& wb, int l) {
  const int K = a.top_k, F = a.ffn, H = a.hidden, U = F / 64;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const Range d = share((long long)a.tokens * H, blockIdx.x, gridDim.x);
  const int t_lo = int(d.lo / H);
  const int chunk = min(K, kDnChunk), chunks = (K + chunk - 1) / chunk;
  const size_t dslot = slot_bytes(L.down.row_bytes), islot = chunk * dslot, vb = vec_bytes(kQ8, F);
  unsigned char* ring = s.u + (size_t)warp * a.dn_depth * islot;
  float* units = s.scratch + warp * scratch_floats(F);  // [kDnChunk][U] unit values
  struct Item { int t, r, j0, nj; bool last; };
  auto item = [&](int q) {
    const int n = chunks == 1 ? q : q / chunks, c = q - n * chunks;
    const int i = int(d.lo) + warp + n * kWarps;
    Item it;
    it.t = a.by_hidden.div(i);
    it.r = i - it.t * H;
    it.j0 = c * chunk;
    it.nj = min(chunk, K - it.j0);
    it.last = c == chunks - 1;
    return it;
  };
  auto row_of = [&](const Item& it, int jj) { return row_ptr(L.down, s.sel_e[it.t * K + it.j0 + jj], it.r); };
  auto stage = [&](int q, int slot) {  // lane jj issues row jj
    const Item it = item(q);
    RowSpan sp{nullptr, 0};
    if (lane < it.nj) sp = row_span(row_of(it, lane), L.down.row_bytes);
    const unsigned total = __reduce_add_sync(0xffffffffu, unsigned(sp.bytes));
    if (lane == 0) bulk_expect(wb.bar + slot, total);
    __syncwarp();
    if (lane < it.nj) bulk_copy(ring + slot * islot + lane * dslot, sp.base, unsigned(sp.bytes), wb.bar + slot);
  };
  // This lane's first (row, unit) of an item's flat list, and the step of 32 entries in it.
  const int jj0 = lane / U, u0 = lane - jj0 * U, q32 = 32 / U, r32 = 32 - q32 * U;
  float acc = 0.f;  // lane 0's
  auto consume = [&](int q, int slot) {
    if (q == 0) mark(a, l, kMarkDnFirst);
    const Item it = item(q);
    // The residual, loaded now so that its trip to L2 overlaps the item's arithmetic.
    const float hv = lane == 0 && it.last ? __ldcg(h + (size_t)it.t * H + it.r) : 0.f;
    int jj = jj0, u = u0;
#pragma unroll 2
    for (int f = lane; f < it.nj * U; f += 32) {  // unrolled: the units' loads overlap
      const std::uint8_t* row = in_slot(ring + slot * islot + jj * dslot, row_of(it, jj));
      units[f] = unit_value<kQ8, kDN>(L.down.type, row, u, s.a + ((it.t - t_lo) * K + it.j0 + jj) * vb, F);
      u += r32;
      jj += q32;
      if (u >= U) { u -= U; ++jj; }
    }
    __syncwarp();
    // Each row's dot in row_dot_vec's order: lane i's running sum of units i, i + 32, ..., then
    // the butterfly; the rows' butterflies interleaved.
    float y[kDnChunk];
    if (U <= 32) {  // ffn <= 2048: a lane sums at most one unit of a row (predicated, no loop)
#pragma unroll
      for (int j = 0; j < kDnChunk; ++j) y[j] = j < it.nj && lane < U ? __fadd_rn(0.f, units[j * U + lane]) : 0.f;
    } else {
#pragma unroll
      for (int j = 0; j < kDnChunk; ++j) {
        y[j] = 0.f;
        if (j < it.nj)
          for (int k = lane; k < U; k += 32) y[j] = __fadd_rn(y[j], units[j * U + k]);
      }
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
#pragma unroll
      for (int j = 0; j < kDnChunk; ++j) y[j] = __fadd_rn(y[j], __shfl_xor_sync(0xffffffffu, y[j], o));
    __syncwarp();  // every lane has read units before the next item writes them
    if (lane == 0) {
#pragma unroll
      for (int j = 0; j < kDnChunk; ++j)
        if (j < it.nj) acc = __fadd_rn(acc, __fmul_rn(s.sel_w[it.t * K + it.j0 + j], y[j]));
      if (it.last) {
        out[(size_t)it.t * H + it.r] = __fadd_rn(hv, acc);
        acc = 0.f;
      }
    }
  };
  const int n = warp_items(d, warp) * chunks;
  bulk_pipeline_start(n, a.dn_depth, stage);  // the rows depend only on the routing
  grid_wait(a.barrier, barrier_no(l, 2));     // every block's act is written
  mark(a, l, kMarkDnBarrier);
  // The act vectors of this block's tokens, as gate_up_kernel rounds them. q8: a quad of lanes
  // per 32 values (a thread per group left most threads idle and ran 32 roundings in series);
  // exact: a thread per 32 values. All loads of a thread in flight at once.
  if (d.hi > d.lo) {
    const int ntok = int((d.hi - 1) / H) - t_lo + 1, G = F / 32, groups = ntok * K * G;
    const float4* src = reinterpret_cast<const float4*>(a.act + (size_t)t_lo * K * F);
    if constexpr (kQ8) {
      const int q = threadIdx.x & 3;
      const unsigned quad = quad_mask(threadIdx.x & 31);
      for (int i4 = threadIdx.x; i4 < 4 * groups; i4 += kThreads) {  // a quad's lanes iterate together
        const int i = i4 >> 2;
        const float4 f0 = __ldcg(src + (size_t)i * 8 + 2 * q), f1 = __ldcg(src + (size_t)i * 8 + 2 * q + 1);
        const float v[8] = {f0.x, f0.y, f0.z, f0.w, f1.x, f1.y, f1.z, f1.w};
        q8_store_group_quad(v, s.a + (i / G) * vb, F, i % G, q, quad);
      }
    } else {
      for (int i = threadIdx.x; i < groups; i += kThreads) {  // i / G: (token - t_lo) * K + j
        float v[32];
#pragma unroll
        for (int w = 0; w < 8; ++w) {
          const float4 f = __ldcg(src + (size_t)i * 8 + w);
          v[4 * w] = f.x; v[4 * w + 1] = f.y; v[4 * w + 2] = f.z; v[4 * w + 3] = f.w;
        }
        vec_store_group<kQ8>(v, s.a + (i / G) * vb, F, i % G);
      }
    }
  }
  if (next && lane == 0) {  // the next layer's router rows this warp will read, and its norm
    const int T = a.tokens;
    const int gw = blockIdx.x * kWarps + warp, nw = gridDim.x * kWarps;
    for (int i = gw; i < a.n_experts * T; i += nw) prefetch_l2_bulk(next->router + (size_t)(i / T) * H, 4 * (size_t)H);
    if (warp == 0) prefetch_l2_bulk(next->norm, 4 * (size_t)H);
  }
  __syncthreads();
  mark(a, l, kMarkActStaged);
  mark(a, l, kMarkDnFirst);  // again when warp 0's first rows have arrived, if it has any
  bulk_pipeline_run(n, a.dn_depth, wb, stage, consume);
}

// kGU, kDN: the gate/up and down types when every layer has them (Q4_K, Q6_K: the Qwen3 GGUF
// files), else 0 and the format is chosen per row at run time.
template <bool kQ8, int kGU, int kDN>
__global__ void __launch_bounds__(kThreads, 1) stack_kernel(StackArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  Smem s;
  s.x = smem;
  s.a = smem + a.off_a;
  s.pz = reinterpret_cast<float*>(smem + a.off_pz);
  s.sel_e = reinterpret_cast<std::int32_t*>(smem + a.off_sel);
  s.sel_w = reinterpret_cast<float*>(s.sel_e + a.tokens * a.top_k);
  s.scratch = reinterpret_cast<float*>(smem + a.off_scratch);
  s.u = smem + a.off_u;
  __shared__ std::uint64_t bars[kWarps * kBulkSlots];
  if (threadIdx.x < kWarps * kBulkSlots) bulk_init(bars + threadIdx.x);
  __syncthreads();
  WarpBulk wb{bars + (threadIdx.x >> 5) * kBulkSlots, 0u};
  for (int l = 0; l < a.count; ++l) {
    const StackLayer L = a.layers[l];
    const float* h = l == 0 ? a.hin : (l % 2 == 1 ? a.ha : a.hb);
    float* out = l % 2 == 0 ? a.ha : a.hb;
    mark(a, l, kMarkLayer);
    phase_router<kQ8>(a, L, h, s, l);
    phase_gate_up<kQ8, kGU>(a, L, s, wb, l);
    mark(a, l, kMarkGuDone);
    grid_arrive(a.barrier);
    mark_last(a, l, kMarkGuLast);  // after grid_arrive's block barrier: all of the block's warps
    mark_block(a, l, 0);
    phase_down<kQ8, kDN>(a, L, l + 1 < a.count ? a.layers + l + 1 : nullptr, h, out, s, wb, l);
    mark(a, l, kMarkDnDone);
    grid_arrive(a.barrier);
    mark_block(a, l, 1);
    grid_wait(a.barrier, barrier_no(l, 3));
    mark(a, l, kMarkLayerBarrier);
  }
}

}  // namespace

bool plan_stack(StackArgs& a, int sm_count, int smem_optin) {
  if (a.tokens < 1 || a.tokens > kMaxTokens || a.count < 1 || sm_count < 1) return false;
  if ((long long)a.tokens * a.top_k * a.ffn >= (1LL << 31)) return false;  // 32-bit item indices
  smem_optin -= kStaticSmemReserve;
  const int T = a.tokens, K = a.top_k, H = a.hidden, F = a.ffn;
  a.blocks = sm_count;
  a.by_ffn = FastDiv(unsigned(F));
  a.by_hidden = FastDiv(unsigned(H));
  a.by_top_k = FastDiv(unsigned(K));
  // A block's phase-D items span at most this many tokens.
  const long long per = ((long long)T * H + a.blocks - 1) / a.blocks;
  a.act_tokens = int(std::min<long long>(T, (per + H - 1) / H + 1));
  const std::size_t x = align16(T * vec_bytes(a.q8, H));
  const std::size_t act = align16(std::size_t(a.act_tokens) * K * vec_bytes(a.q8, F));
  const std::size_t pz = align16(std::size_t(T) * pz_stride(a.n_experts) * 4);
  const std::size_t sel = align16(std::size_t(T) * K * 8);
  const std::size_t scratch = align16(std::size_t(kWarps) * scratch_floats(F) * 4);
  a.off_pz = x;
  a.off_sel = a.off_pz + pz;
  a.off_a = a.off_sel + sel;
  a.off_scratch = a.off_a + act;
  a.off_u = a.off_scratch + scratch;
  if (a.off_u >= std::size_t(smem_optin)) return false;
  const std::size_t budget = std::size_t(smem_optin) - a.off_u;
  const std::size_t pslot = slot_bytes(a.gate_row_bytes) + slot_bytes(a.up_row_bytes);
  const std::size_t dslot = std::min(K, kDnChunk) * slot_bytes(a.down_row_bytes);  // an item's rows
  a.gu_depth = int(std::min<std::size_t>(kGuDepth, budget / (kWarps * pslot)));
  a.dn_depth = int(std::min<std::size_t>(kDnDepth, budget / (kWarps * dslot)));
  const std::size_t r = align16(std::size_t(T) * H * 4) + logit_part_bytes(T, H);  // phase R, from off_a
  if (a.gu_depth < 1 || a.dn_depth < 1 || a.off_a + r > std::size_t(smem_optin)) return false;
  const std::size_t u = std::max(kWarps * a.gu_depth * pslot, kWarps * a.dn_depth * dslot);
  a.smem = std::max(a.off_u + u, a.off_a + r);
  return true;
}

void configure_stack() {
  int dev = 0, optin = 0;
  PV_CUDA_CHECK(cudaGetDevice(&dev));
  PV_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  for (auto k : {stack_kernel<false, 0, 0>, stack_kernel<true, 0, 0>, stack_kernel<false, kQ4_K, kQ6_K>,
                 stack_kernel<true, kQ4_K, kQ6_K>}) {
    cudaFuncAttributes fa{};
    PV_CUDA_CHECK(cudaFuncGetAttributes(&fa, k));
    if (fa.sharedSizeBytes > kStaticSmemReserve)
      throw std::logic_error("stack_kernel: " + std::to_string(fa.sharedSizeBytes) +
                             " bytes of static shared memory, more than the reserved " +
                             std::to_string(kStaticSmemReserve));
    PV_CUDA_CHECK(cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, optin - kStaticSmemReserve));
  }
}

void launch_stack(const StackArgs& a, cudaStream_t stream) {
  PV_CUDA_CHECK(cudaMemsetAsync(a.barrier, 0, sizeof(unsigned), stream));
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = dim3(a.blocks);
  cfg.blockDim = dim3(kThreads);
  cfg.dynamicSmemBytes = a.smem;
  cfg.stream = stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeCooperative;  // all blocks resident: the grid barriers need it
  attr[0].val.cooperative = 1;
  cfg.attrs = attr;
  cfg.numAttrs = 1;
  const bool qwen = a.gate_type == kQ4_K && a.up_type == kQ4_K && a.down_type == kQ6_K;
  void (*kernel)(StackArgs) = qwen ? (a.q8 ? stack_kernel<true, kQ4_K, kQ6_K> : stack_kernel<false, kQ4_K, kQ6_K>)
                                   : (a.q8 ? stack_kernel<true, 0, 0> : stack_kernel<false, 0, 0>);
  check(cudaLaunchKernelEx(&cfg, kernel, a), "cudaLaunchKernelEx(stack_kernel, cooperative)", __FILE__, __LINE__);
}

}  // namespace pv::engine::cuda
