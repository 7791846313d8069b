// Batch path (q8 mode, T > 8 where the fused stack does not hold the tokens): tokens grouped
// by expert on the device, then per-expert tiles on the integer tensor cores.
//   group_kernel: one block; a stable counting sort of the T*k (token, slot) pairs by expert,
//     plus a tile list (expert, first sorted pair, count <= bm: 16 or 8 pairs, grouped_tile_pairs).
//     Integer work only.
//   gate_up_tile_kernel: a block = one tile x 16 ffn rows (their gate and up rows staged once,
//     a bulk copy each, with the pairs' Q8_1 activations written by the router, and the rows'
//     scales decoded once into shared memory while the pairs arrive). mma.sync gives the
//     integer sums per 16/32 values and quant_q8.cuh's formulas the f32 unit values
//     (mma_tile.cuh), so every unit value is bitwise the decode kernels' value; each row dot
//     is summed in row_dot_q8's order (TreeStream, act_vec.cuh), the lanes split over 8 warps
//     whose subtrees are joined in the butterfly's order, so every output is bitwise the
//     decode kernels' output (batch independence). Integer sums cannot overflow where the f32
//     result does not (an fp16 tensor-core path overflowed on extreme scales:
//     test_cuda_fixes.cpp). Writes act = SwiGLU in f32.
//   act_quant_kernel: act onto its Q8_1 grid per 32 ffn values, a quad per group
//     (q8_store_quad, bitwise the decode kernel's q8_store).
//   down_tile_kernel: the same for 64 down rows, two warps per row dot: y[pair, row].
//   combine_kernel: h' = h + sum_j w_j y[t*k + j], in slot order, with explicitly rounded
//     operations: what down_kernel (decode.cu) computes for a token alone.
#include <algorithm>
#include <type_traits>

#include "engine/cuda/act_vec.cuh"
#include "engine/cuda/check.hpp"
#include "engine/cuda/kernels.hpp"
#include "engine/cuda/mma_tile.cuh"
#include "engine/cuda/pipeline.cuh"
#include "engine/cuda/quant_dev.cuh"
#include "engine/cuda/quant_q8.cuh"
#include "engine/cuda/stage.cuh"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {
namespace {

// Pairs per tile, BM: 16 (two 8-pair MMA columns) or 8 (one), see grouped_tile_pairs.
constexpr int kMinBM = 8, kMaxBM = 16;
constexpr int kGuRows = 16;        // ffn rows per gate_up block
constexpr int kDnRows = 64;        // down rows per block
constexpr int kTileThreads = 256;  // 8 warps
// tile_prologue issues each bulk copy from its own thread (a row, or one of a pair's three
// parts); a copy without a thread would leave its mbarrier, and the block, waiting forever.
static_assert(2 * kGuRows + 3 * kMaxBM <= kTileThreads && kDnRows + 3 * kMaxBM <= kTileThreads,
              "a tile's copies outnumber its threads");
// tile_epilogue's scratch: 8 warps' subtrees x 16 results x 32 lanes.
constexpr int kPartFloats = 8 * 16 * 32;
constexpr int kGroupThreads = 1024;

__global__ void __launch_bounds__(kGroupThreads) group_kernel(const std::int32_t* experts, int n_pairs,
                                                            int E, int bm, std::int32_t* sorted,
                                                            std::int32_t* tiles) {
  extern __shared__ int gsm[];
  int* hist = gsm;              // [32][E]: per-warp counts, then per-warp start within expert
  int* cnt = hist + 32 * E;     // [E]
  int* offs = cnt + E;          // [E]
  int* toff = offs + E;         // [E]
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  for (int i = tid; i < 32 * E; i += kGroupThreads) hist[i] = 0;
  __syncthreads();
  const int slice = (n_pairs + 31) / 32;
  const int s0 = warp * slice, s1 = min(n_pairs, s0 + slice);
  const unsigned lt = (1u << lane) - 1u;
  for (int b = s0; b < s1; b += 32) {
    const int p = b + lane;
    const int e = p < s1 ? experts[p] : -1 - lane;
    const unsigned m = __match_any_sync(0xffffffffu, e);
    if (p < s1 && (m & lt) == 0) hist[warp * E + e] += __popc(m);
    __syncwarp();
  }
  __syncthreads();
  for (int e = tid; e < E; e += kGroupThreads) {
    int run = 0;
    for (int w = 0; w < 32; ++w) {
      const int c = hist[w * E + e];
      hist[w * E + e] = run;
      run += c;
    }
    cnt[e] = run;
  }
  __syncthreads();
  if (warp == 0) {  // exclusive scans of counts and tile counts
    int carry_o = 0, carry_t = 0;
    for (int b = 0; b < E; b += 32) {
      const int e = b + lane;
      const int c = e < E ? cnt[e] : 0, nt = (c + bm - 1) / bm;
      int io = c, it = nt;
#pragma unroll
      for (int o = 1; o < 32; o <<= 1) {
        const int vo = __shfl_up_sync(0xffffffffu, io, o), vt = __shfl_up_sync(0xffffffffu, it, o);
        if (lane >= o) { io += vo; it += vt; }
      }
      if (e < E) { offs[e] = carry_o + io - c; toff[e] = carry_t + it - nt; }
      carry_o += __shfl_sync(0xffffffffu, io, 31);
      carry_t += __shfl_sync(0xffffffffu, it, 31);
    }
    if (lane == 0) tiles[0] = carry_t;
  }
  __syncthreads();
  for (int e = tid; e < E; e += kGroupThreads) {
    int ti = toff[e];
    for (int s = 0; s < cnt[e]; s += bm, ++ti) {
      tiles[1 + 3 * ti] = e;
      tiles[2 + 3 * ti] = offs[e] + s;
      tiles[3 + 3 * ti] = min(bm, cnt[e] - s);
    }
  }
  for (int b = s0; b < s1; b += 32) {
    const int p = b + lane;
    const int e = p < s1 ? experts[p] : -1 - lane;
    const unsigned m = __match_any_sync(0xffffffffu, e);
    if (p < s1) sorted[offs[e] + hist[warp * E + e] + __popc(m & lt)] = p;
    __syncwarp();
    if (p < s1 && (m & lt) == 0) hist[warp * E + e] += __popc(m);
    __syncwarp();
  }
}


// A staged row slot with an odd number of 16-byte chunks: the 8 rows of a fragment load then
// start in 8 different 4-bank groups, so the load is free of bank conflicts.
__host__ __device__ constexpr std::size_t mma_slot_bytes(std::size_t row_bytes) {
  return (slot_bytes(row_bytes) / 16) % 2 ? slot_bytes(row_bytes) : slot_bytes(row_bytes) + 16;
}

// Shared memory of a tile kernel: `rows` staged weight rows of n values (their region holds the
// epilogue's scratch once they are consumed), their per-unit scales (RowView), then bm pairs'
// vectors of n values (TileX).
struct TileLayout {
  std::size_t row_stride = 0, rs_off = 0, x_off = 0, d_off = 0, sd_off = 0, bytes = 0;
  int x_stride = 0, units = 0;
  // float4s from one row's unit scales to the next: odd, so the 8 rows (g) of a fragment's
  // scale loads start in 8 different 4-bank groups (a stride of `units` = 32 put all 8 in one
  // group: an 8-way bank conflict on every load; T = 512 0.814 -> 0.791 ms on the H100).
  int rs_stride = 0;
};
__host__ __device__ constexpr std::size_t tile_scratch_bytes(int rows, int bm) {
  return 4 * std::size_t(kPartFloats + bm * rows);  // partial subtrees + a bm x rows tile
}
__host__ __device__ inline TileLayout tile_layout(int rows, std::size_t row_bytes, int n, bool sd, int bm) {
  TileLayout L;
  L.units = n / 64;
  L.rs_stride = L.units | 1;
  L.row_stride = mma_slot_bytes(row_bytes);
  const std::size_t staged = rows * L.row_stride, scratch = tile_scratch_bytes(rows, bm);
  L.rs_off = staged > scratch ? staged : scratch;
  L.x_off = L.rs_off + std::size_t(rows) * L.rs_stride * 16;
  L.x_stride = n + 16;  // n / 16 + 1 chunks, odd: conflict-free B fragments
  L.d_off = L.x_off + std::size_t(bm) * L.x_stride;
  L.sd_off = L.d_off + std::size_t(bm) * (n / 32) * 4;
  L.bytes = L.sd_off + (sd ? std::size_t(bm) * (n / 32) * 4 : 0);
  return L;
}
constexpr bool reads_sd(int type) { return type == kQ4_K; }

// The layouts of the two tile kernels (host: launch size; device: where things are).
__host__ __device__ inline TileLayout gate_up_layout(const GroupedArgs& a, int bm) {
  return tile_layout(2 * kGuRows, a.gate.row_bytes > a.up.row_bytes ? a.gate.row_bytes : a.up.row_bytes, a.hidden,
                     reads_sd(a.gate.type) || reads_sd(a.up.type), bm);
}
__host__ __device__ inline TileLayout down_layout(const GroupedArgs& a, int bm) {
  return tile_layout(kDnRows, a.down.row_bytes, a.ffn, reads_sd(a.down.type), bm);
}

struct Tile { int e, start, cnt; };
__device__ __forceinline__ Tile tile_of(const GroupedArgs& a) {
  const int i = blockIdx.y;
  return {a.tiles[1 + 3 * i], a.tiles[2 + 3 * i], a.tiles[3 + 3 * i]};
}

// Staging is one bulk copy (TMA) per weight row and per pair vector, each issued by its own
// thread and completing on an mbarrier of the block (tile_prologue): cp.async staging, 16
// bytes per instruction, was a quarter of the tile kernels' executed instructions at T = 512.
__device__ __forceinline__ void stage_bulk(void* dst, const void* src, unsigned bytes, std::uint64_t* bar) {
  bulk_expect(bar, bytes);
  bulk_copy(dst, src, bytes, bar);
}
// Whether the layout holds the pairs' d * sum q (the sd region is its last).
__device__ __forceinline__ bool has_sd(const TileLayout& L) { return L.bytes != L.sd_off; }
// Copies per pair: its int8 vector, d, and d * sum q where the type reads it.
__device__ __forceinline__ int pair_copies(const TileLayout& L) { return has_sd(L) ? 3 : 2; }

// Copy i (< cnt * pair_copies) of the tile's pairs' Q8_1 vectors (vector index vec(p) in the
// global arrays of n values).
template <class Vec>
__device__ __forceinline__ void stage_pair_part(unsigned char* smem, const TileLayout& L, int n, int i, const std::int8_t* q,
                                                const float* d, const float* sd, Vec vec, std::uint64_t* bar) {
  const int k = pair_copies(L), p = i / k, part = i - p * k;
  const std::size_t v = std::size_t(vec(p));
  if (part == 0) stage_bulk(smem + L.x_off + std::size_t(p) * L.x_stride, q + v * n, unsigned(n), bar);
  else if (part == 1) stage_bulk(smem + L.d_off + std::size_t(p) * (n / 8), d + v * (n / 32), unsigned(n / 8), bar);
  else stage_bulk(smem + L.sd_off + std::size_t(p) * (n / 8), sd + v * (n / 32), unsigned(n / 8), bar);
}
// Zeroes the slots of an unfilled 8-pair MMA column, whose results are computed and dropped.
__device__ void zero_pad_pairs(unsigned char* smem, const TileLayout& L, int n, int cnt) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;  // a warp per pair: no divisions
  for (int p = cnt + warp; p < (cnt + 7) / 8 * 8; p += kTileThreads / 32) {
    for (int c = lane; c < L.x_stride / 16; c += 32)
      reinterpret_cast<uint4*>(smem + L.x_off + std::size_t(p) * L.x_stride)[c] = make_uint4(0, 0, 0, 0);
    for (int c = lane; c < n / 32; c += 32) {
      reinterpret_cast<float*>(smem + L.d_off)[p * (n / 32) + c] = 0.f;
      if (has_sd(L)) reinterpret_cast<float*>(smem + L.sd_off)[p * (n / 32) + c] = 0.f;
    }
  }
}

// Row r of expert e's matrix m into slot `slot`: the 16-byte chunks covering it, in one copy.
__device__ __forceinline__ void stage_row_bulk(unsigned char* smem, const TileLayout& L, int slot, const DevMat& m, int e,
                                               int r, std::uint64_t* bar) {
  const RowSpan sp = row_span(row_ptr(m, e, r), m.row_bytes);
  stage_bulk(smem + slot * L.row_stride, sp.base, unsigned(sp.bytes), bar);
}
// Decodes the per-unit scales of the rows staged in slots [s0, s0 + rows) (type kT), a thread
// per (row, 256-value super-block) (its four units share one header, decoded once), by the
// `threads` threads from `first`.
template <int kT>
__device__ void decode_row_scales(unsigned char* smem, const TileLayout& L, int s0, int rows, const DevMat& m, int e,
                                  int r0, int first, int threads) {
  float4* rs = reinterpret_cast<float4*>(smem + L.rs_off);
  const int sbs = L.units / 4, me = int(threadIdx.x) - first;
  if (me < 0 || me >= threads) return;
  for (int i = me; i < rows * sbs; i += threads) {
    const int r = i / sbs, sb = i - r * sbs, s = s0 + r;
    const std::uint8_t* row = in_slot(smem + s * L.row_stride, row_ptr(m, e, r0 + r));
#pragma unroll
    for (int c = 0; c < 4; ++c) rs[s * L.rs_stride + 4 * sb + c] = UnitTile<kT, 1>::scales(row, 4 * sb + c);
  }
}
__device__ __forceinline__ RowView row_view(unsigned char* smem, const TileLayout& L, int s, const DevMat& m, int e,
                                            int r) {
  return {in_slot(smem + s * L.row_stride, row_ptr(m, e, r)), reinterpret_cast<const float4*>(smem + L.rs_off) + s * L.rs_stride};
}
__device__ __forceinline__ TileX tile_x(unsigned char* smem, const TileLayout& L, int n) {
  return {reinterpret_cast<const std::int8_t*>(smem + L.x_off), L.x_stride, n,
          reinterpret_cast<const float*>(smem + L.d_off), reinterpret_cast<const float*>(smem + L.sd_off)};
}

// Subtree b (of KS) of the row dots of N results: for each lane the warp visits, the running
// sum 0 + u_l + u_{l+32} + ... of the units `unit(u, run)` adds, then TreeStream.
template <int KS, int N, class Unit>
__device__ __forceinline__ void row_dot_subtree(int b, int units, Unit unit, float (&run)[N]) {
  constexpr int kLeaves = 32 / KS;
  TreeStream<N, kLeaves == 16 ? 4 : kLeaves == 8 ? 3 : kLeaves == 4 ? 2 : 5> tree;
  // Unrolled: each leaf's merges are then known at compile time (a rolled loop predicates every
  // level's adds and copies on every leaf: ~2 x 4 x N issue slots per leaf).
#pragma unroll
  for (int j = 0; j < kLeaves; ++j) {
#pragma unroll
    for (int i = 0; i < N; ++i) run[i] = 0.f;
    for (int u = tree_lane<KS>(b, j); u < units; u += 32) unit(u, run);
    tree.push(j, run);
  }
}

// The start both tile kernels share. Threads i < rows issue the copies of the block's weight
// rows (stage_row(i), on bar[0]) at once; the pairs' copies (stage_pair(i), i < cnt *
// pair_copies, on bar[1]) wait for their vector indices, a second dependent global load. The
// rows' scales are decoded (scales()) while the pairs' vectors are still on their way.
// Unfilled pair slots are zeroed (n values each); the tile's pair ids go to pid.
template <class StageRow, class StagePair, class Scales>
__device__ __forceinline__ void tile_prologue(unsigned char* smem, const GroupedArgs& a, const Tile& tl, const TileLayout& L,
                                              int n, int rows, int* pid, std::uint64_t (&bar)[2], StageRow stage_row,
                                              StagePair stage_pair, Scales scales) {
  const int tid = threadIdx.x, pair_parts = tl.cnt * pair_copies(L);
  if (tid == 0) {
    bulk_init(&bar[0], unsigned(rows));
    bulk_init(&bar[1], unsigned(pair_parts));
  }
  zero_pad_pairs(smem, L, n, tl.cnt);
  __syncthreads();  // the barriers are initialised before any copy arrives on them
  if (tid < rows) stage_row(tid);
  else if (tid - rows < pair_parts) stage_pair(tid - rows);
  if (tid < kMaxBM) pid[tid] = tid < tl.cnt ? a.sorted[tl.start + tid] : -1;
  bulk_wait(&bar[0], 0);
  scales();
  bulk_wait(&bar[1], 0);
  __syncthreads();  // every row's scales decoded
}

// The end both tile kernels share, once their staged rows are consumed (that region is scratch
// now). Warp w holds subtree w / W (of KS) of the results of role w % W (W = 8 / KS roles;
// role rl covers rows row0(rl) + 0..15). Every warp parks its subtrees, then the block joins
// them in the butterfly's last levels, spread over all threads: a thread per (role, result j
// < N / NV, lane) finishes results j + m N / NV (m < NV), and value() of those is the tile's
// value at j's row and pair (the MMA result layout, mma_tile.cuh). The tile's pair p goes to
// row pid[p] of dst (`stride` values apart, columns r0 + 0 .. kRows - 1).
template <int KS, int kRows, int N, int NV, class Row0, class Value>
__device__ __forceinline__ void tile_epilogue(unsigned char* smem, const float (&v)[N], int cnt, const int* pid,
                                              Row0 row0, Value value, float* dst, int stride, int r0) {
  constexpr int W = kTileThreads / 32 / KS, J = N / NV;
  static_assert(KS * W * N * 32 <= kPartFloats, "tile_epilogue's scratch is kPartFloats");
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  __syncthreads();  // every warp is done with the staged rows
  float* part = reinterpret_cast<float*>(smem);
  float* tile = part + kPartFloats;  // [cnt][kRows]
#pragma unroll
  for (int i = 0; i < N; ++i) part[(warp * N + i) * 32 + lane] = v[i];
  __syncthreads();
  for (int it = threadIdx.x; it < W * J * 32; it += kTileThreads) {
    const int l = it & 31, j = (it >> 5) % J, rl = (it >> 5) / J;
    const int c = 8 * (j / 4) + mma_result_col(j % 4, l & 3);
    if (c >= cnt) continue;
    float fin[NV];
#pragma unroll
    for (int m = 0; m < NV; ++m) {
      float p[KS];
#pragma unroll
      for (int b = 0; b < KS; ++b) p[b] = part[((b * W + rl) * N + j + m * J) * 32 + l];
      fin[m] = butterfly_finish<KS>(p);
    }
    tile[c * kRows + row0(rl) + mma_result_row(j % 4, l >> 2)] = value(fin);
  }
  __syncthreads();
  for (int i = threadIdx.x; i < cnt * kRows; i += kTileThreads) {
    const int p = i / kRows, r = i - p * kRows;
    dst[(size_t)pid[p] * stride + r0 + r] = tile[i];
  }
}

// Subtree b (of 8) of the gate and up rows' dots for NT 8-pair columns: v[nt * 4 + i] gate,
// v[8 + nt * 4 + i] up, i in the MMA result layout. One warp covers both columns, so a row's
// quants and scales, loaded once per unit, serve twice the results.
template <int kTG, int kTU, int NT>
__device__ __forceinline__ void gate_up_subtree(const RowView (&r)[4], const TileX& x, int b, int g, int t,
                                                float (&v)[16]) {
  float run[8 * NT];
  row_dot_subtree<8>(b, x.n / 64, [&](int u, float (&acc)[8 * NT]) {
    float vg[NT][4], vu[NT][4];
    UnitTile<kTG, NT>::run(r[0], r[1], u, x, g, t, vg);
    UnitTile<kTU, NT>::run(r[2], r[3], u, x, g, t, vu);
#pragma unroll
    for (int i = 0; i < 4 * NT; ++i) {
      acc[i] = __fadd_rn(acc[i], vg[i / 4][i % 4]);
      acc[4 * NT + i] = __fadd_rn(acc[4 * NT + i], vu[i / 4][i % 4]);
    }
  }, run);
#pragma unroll
  for (int i = 0; i < 4 * NT; ++i) {
    v[i] = run[i];
    v[8 + i] = run[4 * NT + i];
  }
}

// Blocks per SM the tile kernels are built for (Qwen3's shapes). gate/up: an 8-pair tile's
// shared memory (~74 KB) lets three share an SM, a 16-pair tile's (~95 KB) two. down: three at
// either size; a 16-pair tile needs ~69 KB, so only registers kept it at two (110 a thread).
// Capped at 85 (ptxas: 80, a few spills outside the unit loops), 24 warps an SM hide more of
// each other's staging: T = 128 0.325 -> 0.312, T = 512 0.783 -> 0.758 ms on the H100
// (reports/gpu/h100-2026-11-26-down3/). gate/up's 125 registers would spill its accumulators.
constexpr int gate_up_blocks_per_sm(int bm) { return bm == kMinBM ? 3 : 2; }
constexpr int kDownBlocksPerSm = 3;

// A block: one tile x 16 ffn rows (slots 0..15 gate, 16..31 up); warp w holds subtree w (of
// 8) of every result, both pair columns when a 16-pair tile has more than 8. Writes act =
// SwiGLU in f32; act_quant_kernel rounds it per 32 values as the decode kernel does.
template <int BM, int kTG, int kTU>
__global__ void __launch_bounds__(kTileThreads, gate_up_blocks_per_sm(BM)) gate_up_tile_kernel(GroupedArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ int pid[kMaxBM];
  __shared__ std::uint64_t bar[2];
  if (int(blockIdx.y) >= a.tiles[0]) return;
  const Tile tl = tile_of(a);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3, H = a.hidden;
  const TileLayout L = gate_up_layout(a, BM);
  const int r0 = blockIdx.x * kGuRows;
  tile_prologue(
      smem, a, tl, L, H, 2 * kGuRows, pid, bar,
      [&](int i) { stage_row_bulk(smem, L, i, i < kGuRows ? a.gate : a.up, tl.e, r0 + i % kGuRows, &bar[0]); },
      [&](int i) {
        stage_pair_part(smem, L, H, i, a.xq, a.xd, a.xsd, [&](int p) { return a.sorted[tl.start + p] / a.top_k; },
                        &bar[1]);
      },
      [&] {  // half the threads per matrix
        decode_row_scales<kTG>(smem, L, 0, kGuRows, a.gate, tl.e, r0, 0, kTileThreads / 2);
        decode_row_scales<kTU>(smem, L, kGuRows, kGuRows, a.up, tl.e, r0, kTileThreads / 2, kTileThreads / 2);
      });
  const RowView rows[4] = {row_view(smem, L, g, a.gate, tl.e, r0 + g), row_view(smem, L, g + 8, a.gate, tl.e, r0 + g + 8),
                           row_view(smem, L, kGuRows + g, a.up, tl.e, r0 + g),
                           row_view(smem, L, kGuRows + g + 8, a.up, tl.e, r0 + g + 8)};
  const TileX x = tile_x(smem, L, H);
  float v[16] = {};
  if (BM > 8 && tl.cnt > 8) gate_up_subtree<kTG, kTU, 2>(rows, x, warp, g, t, v);
  else gate_up_subtree<kTG, kTU, 1>(rows, x, warp, g, t, v);
  tile_epilogue<8, kGuRows, 16, 2>(
      smem, v, tl.cnt, pid, [](int) { return 0; }, [](const float (&gu)[2]) { return silu(gu[0]) * gu[1]; }, a.act,
      a.ffn, r0);
}

// One quad per (pair, 32 ffn values): act onto its Q8_1 grid with q8_store_quad, bitwise the
// warp's q8_store that gate_up_kernel (decode.cu) applies for a token alone.
__global__ void act_quant_kernel(GroupedArgs a) {
  const int G = a.ffn / 32, lane = threadIdx.x & 31;
  const long quad = (long(blockIdx.x) * blockDim.x + threadIdx.x) >> 2;
  if (quad >= long(a.tokens) * a.top_k * G) return;
  const long pair = quad / G;
  const int grp = int(quad - pair * G);
  const long o = pair * a.ffn + 32 * grp;
  float v[8];
  load8(a.act + o + 8 * (lane & 3), v);
  q8_store_quad(v, a.act_q + o, a.act_d + pair * G + grp, a.act_sd + pair * G + grp, lane & 3, quad_mask(lane));
}

// The down rows' subtree for NT 8-pair columns (results [0, 4 NT) valid).
template <int kT, int NT>
__device__ __forceinline__ void down_subtree(const RowView& ra, const RowView& rb, const TileX& x, int b, int units,
                                             int g, int t, float (&v)[8]) {
  float run[4 * NT];
  row_dot_subtree<2>(b, units, [&](int u, float (&acc)[4 * NT]) {
    float w[NT][4];
    UnitTile<kT, NT>::run(ra, rb, u, x, g, t, w);
#pragma unroll
    for (int i = 0; i < 4 * NT; ++i) acc[i] = __fadd_rn(acc[i], w[i / 4][i % 4]);
  }, run);
#pragma unroll
  for (int i = 0; i < 4 * NT; ++i) v[i] = run[i];
}

// A block: one tile x 64 down rows. Warp roles: 16-row strip warp & 3, subtree warp >> 2 (of
// 2); both 8-pair columns when a 16-pair tile has more than 8. Results: column i / 4, MMA
// result layout i % 4.
template <int BM, int kT>
__global__ void __launch_bounds__(kTileThreads, kDownBlocksPerSm) down_tile_kernel(GroupedArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ int pid[kMaxBM];
  __shared__ std::uint64_t bar[2];
  if (int(blockIdx.y) >= a.tiles[0]) return;
  const Tile tl = tile_of(a);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3, F = a.ffn;
  const TileLayout L = down_layout(a, BM);
  const int r0 = blockIdx.x * kDnRows;
  tile_prologue(
      smem, a, tl, L, F, kDnRows, pid, bar, [&](int i) { stage_row_bulk(smem, L, i, a.down, tl.e, r0 + i, &bar[0]); },
      [&](int i) {
        stage_pair_part(smem, L, F, i, a.act_q, a.act_d, a.act_sd, [&](int p) { return a.sorted[tl.start + p]; },
                        &bar[1]);
      },
      [&] { decode_row_scales<kT>(smem, L, 0, kDnRows, a.down, tl.e, r0, 0, kTileThreads); });
  const int strip = 16 * (warp & 3), rg = strip + g;
  const RowView ra = row_view(smem, L, rg, a.down, tl.e, r0 + rg);
  const RowView rb = row_view(smem, L, rg + 8, a.down, tl.e, r0 + rg + 8);
  const TileX x = tile_x(smem, L, F);
  float v[8] = {};
  if (BM > 8 && tl.cnt > 8) down_subtree<kT, 2>(ra, rb, x, warp >> 2, L.units, g, t, v);
  else down_subtree<kT, 1>(ra, rb, x, warp >> 2, L.units, g, t, v);
  tile_epilogue<2, kDnRows, 8, 1>(
      smem, v, tl.cnt, pid, [](int rl) { return 16 * rl; }, [](const float (&y)[1]) { return y[0]; }, a.y, a.hidden, r0);
}

// A thread per 4 consecutive outputs of token blockIdx.y (hidden is a multiple of 256): the
// loads of up to kCombineLoads slots' y values are in flight at once, then each output adds
// w_j * y_j in slot order, as the decode down kernel does. (A block per token, a thread per
// output and the k loads in series left ~8 warps per SM waiting on L2: 14.5 us at T = 128.)
constexpr int kCombineThreads = 128, kCombineLoads = 8;
__global__ void __launch_bounds__(kCombineThreads) combine_kernel(GroupedArgs a) {
  const int t = blockIdx.y, K = a.top_k, i4 = blockIdx.x * kCombineThreads + threadIdx.x;
  if (4 * i4 >= a.hidden) return;
  const size_t H4 = a.hidden / 4;
  const float4* y = reinterpret_cast<const float4*>(a.y) + (size_t)t * K * H4 + i4;
  float4 s = make_float4(0.f, 0.f, 0.f, 0.f);
  for (int j0 = 0; j0 < K; j0 += kCombineLoads) {
    float4 v[kCombineLoads];
    float w[kCombineLoads];
#pragma unroll
    for (int jj = 0; jj < kCombineLoads; ++jj)
      if (j0 + jj < K) {
        v[jj] = y[(j0 + jj) * H4];
        w[jj] = a.weights[(size_t)t * K + j0 + jj];
      }
#pragma unroll
    for (int jj = 0; jj < kCombineLoads; ++jj)
      if (j0 + jj < K) {
        s.x = __fadd_rn(s.x, __fmul_rn(w[jj], v[jj].x));
        s.y = __fadd_rn(s.y, __fmul_rn(w[jj], v[jj].y));
        s.z = __fadd_rn(s.z, __fmul_rn(w[jj], v[jj].z));
        s.w = __fadd_rn(s.w, __fmul_rn(w[jj], v[jj].w));
      }
  }
  const float4 h = reinterpret_cast<const float4*>(a.h)[(size_t)t * H4 + i4];
  reinterpret_cast<float4*>(a.out)[(size_t)t * H4 + i4] =
      make_float4(__fadd_rn(h.x, s.x), __fadd_rn(h.y, s.y), __fadd_rn(h.z, s.z), __fadd_rn(h.w, s.w));
}


template <class F>
void with_type(int type, F f) {
  if (type == kQ4_K) f(std::integral_constant<int, kQ4_K>{});
  else if (type == kQ6_K) f(std::integral_constant<int, kQ6_K>{});
  else f(std::integral_constant<int, kQ8_0>{});
}
template <class F>
void with_pairs(int bm, F f) {
  if (bm == kMinBM) f(std::integral_constant<int, kMinBM>{});
  else f(std::integral_constant<int, kMaxBM>{});
}
// Calls f(gate_up kernel, down kernel) for the model's three types and bm pairs per tile.
template <class F>
void with_kernels(const GroupedArgs& a, int bm, F f) {
  with_pairs(bm, [&](auto B) {
    constexpr int kB = decltype(B)::value;
    with_type(a.gate.type, [&](auto G) {
      with_type(a.up.type, [&](auto U) {
        with_type(a.down.type, [&](auto D) {
          f(gate_up_tile_kernel<kB, decltype(G)::value, decltype(U)::value>, down_tile_kernel<kB, decltype(D)::value>);
        });
      });
    });
  });
}

}  // namespace

// 8 pairs a tile while an expert averages fewer pairs than one 8-pair MMA column holds: most
// 16-pair tiles would then hold 8 or fewer, and the smaller layout lets 3 blocks share an SM
// instead of 2. Measured on the H100 (q8, Qwen3's shapes: E = 128, k = 8, ms a layer;
// reports/gpu/h100-2026-11-26-tiles8, ab-tiles8.txt and ab-threshold.txt): T = 32 0.260 ->
// 0.232, T = 64 0.294 -> 0.261, T = 96 (6 pairs an expert) 0.313 -> 0.290, T = 112 (7) 0.324 ->
// 0.314; at T = 128 (8) 0.336 -> 0.342 and at T = 512 (32) 0.819 -> 0.967, where 16-pair
// tiles stage each expert's rows half as often.
int grouped_tile_pairs(int tokens, int top_k, int n_experts) {
  return (long long)tokens * top_k < 8LL * n_experts ? kMinBM : kMaxBM;
}

int grouped_max_tiles(int tokens, int top_k, int n_experts, int bm) {
  const int pairs = tokens * top_k;
  return (pairs + bm - 1) / bm + (pairs < n_experts ? pairs : n_experts);
}

// Not grouped_max_tiles(tokens, ..., grouped_tile_pairs(...)): that falls where the tile size
// switches (T = 127 -> 128 for Qwen3: 255 -> 192), and a workspace made for a batch serves every
// smaller one. 8-pair tiles bound both sizes and grow with T.
int grouped_tile_capacity(int tokens, int top_k, int n_experts) {
  return grouped_max_tiles(tokens, top_k, n_experts, kMinBM);
}

std::size_t grouped_smem_needed(const GroupedArgs& a) {  // the 16-pair layouts are the larger
  return std::max(gate_up_layout(a, kMaxBM).bytes, down_layout(a, kMaxBM).bytes);
}

void configure_grouped() {
  const int max = 200 * 1024;
  auto allow = [&](auto kernel) {
    PV_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  };
  // Every tile kernel, through the dispatch launch_grouped uses (a down kernel once per up type).
  for (int bm : {kMinBM, kMaxBM})
    for (int tg : {kQ4_K, kQ6_K, kQ8_0})
      for (int tu : {kQ4_K, kQ6_K, kQ8_0}) {
        GroupedArgs types;
        types.gate.type = types.down.type = tg;
        types.up.type = tu;
        with_kernels(types, bm, [&](auto gu, auto dn) {
          allow(gu);
          allow(dn);
        });
      }
  allow(group_kernel);
}

void launch_grouped(const GroupedArgs& a, cudaStream_t stream) {
  const int pairs = a.tokens * a.top_k;
  const size_t gsmem = sizeof(int) * (32 + 3) * size_t(a.n_experts);
  const int bm = grouped_tile_pairs(a.tokens, a.top_k, a.n_experts);
  group_kernel<<<1, kGroupThreads, gsmem, stream>>>(a.experts, pairs, a.n_experts, bm, a.sorted, a.tiles);
  PV_CUDA_CHECK_LAUNCH("group_kernel<<<...>>>");
  const int max_tiles = grouped_max_tiles(a.tokens, a.top_k, a.n_experts, bm);
  with_kernels(a, bm, [&](auto gu, auto dn) {
    gu<<<dim3(a.ffn / kGuRows, max_tiles), kTileThreads, gate_up_layout(a, bm).bytes, stream>>>(a);
    PV_CUDA_CHECK_LAUNCH("gate_up_tile_kernel<<<...>>>");
    const long quads = long(pairs) * (a.ffn / 32);
    act_quant_kernel<<<unsigned((quads + 63) / 64), 256, 0, stream>>>(a);
    PV_CUDA_CHECK_LAUNCH("act_quant_kernel<<<...>>>");
    dn<<<dim3(a.hidden / kDnRows, max_tiles), kTileThreads, down_layout(a, bm).bytes, stream>>>(a);
    PV_CUDA_CHECK_LAUNCH("down_tile_kernel<<<...>>>");
  });
  const dim3 cgrid(unsigned((a.hidden / 4 + kCombineThreads - 1) / kCombineThreads), unsigned(a.tokens));
  combine_kernel<<<cgrid, kCombineThreads, 0, stream>>>(a);
  PV_CUDA_CHECK_LAUNCH("combine_kernel<<<...>>>");
}

}  // namespace pv::engine::cuda
