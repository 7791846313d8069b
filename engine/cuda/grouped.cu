// Batch path (q8 mode, T > 8): tokens grouped by expert on the device, then per-expert tiles
// that share each staged weight row among up to 32 (token, slot) pairs.
//   group_kernel: one block; a stable counting sort of the T*k (token, slot) pairs by expert,
//     plus a tile list (expert, first sorted pair, count <= kBM). Integer work only.
//   gate_up_tile_kernel: a block = one tile x 32 ffn rows (32 gate + 32 up rows staged once);
//     the pairs' Q8_1 activations (written by the router) are staged 8 at a time, and each
//     (pair, row) dot is row_dot_q8 (quant_q8.cuh): integer __dp4a sums per 16/32 values with
//     the scales applied in f32 afterwards, so no intermediate leaves the f32 range when the
//     f32 result does not (an fp16 tensor-core path overflowed on extreme scales), and each
//     value is bitwise the decode kernels' value. SwiGLU and the Q8_1 rounding of act per 32
//     ffn values are the decode kernel's operations too.
//   down_tile_kernel: the same for the down rows: y[pair, row] = row_dot_q8.
//   combine_kernel: h' = h + sum_j w_j y[t*k + j], in slot order, with explicitly rounded
//     operations: what down_kernel (decode.cu) computes for a token alone.
#include <algorithm>

#include "engine/cuda/check.hpp"
#include "engine/cuda/kernels.hpp"
#include "engine/cuda/quant_dev.cuh"
#include "engine/cuda/quant_q8.cuh"
#include "engine/cuda/stage.cuh"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {
namespace {

constexpr int kBM = 32;            // pairs per tile
constexpr int kRows = 32;          // weight rows per block (gate_up: 32 gate + 32 up rows)
constexpr int kPC = 8;             // pairs' activations staged at once
constexpr int kTileThreads = 256;  // 8 warps
constexpr int kGroupThreads = 1024;

__global__ void __launch_bounds__(kGroupThreads) group_kernel(const std::int32_t* experts, int n_pairs,
                                                            int E, std::int32_t* sorted,
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
      const int c = e < E ? cnt[e] : 0, nt = (c + kBM - 1) / kBM;
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
    for (int s = 0; s < cnt[e]; s += kBM, ++ti) {
      tiles[1 + 3 * ti] = e;
      tiles[2 + 3 * ti] = offs[e] + s;
      tiles[3 + 3 * ti] = min(kBM, cnt[e] - s);
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

// Stages the Q8_1 vectors (n values each) of pairs [p0, p0 + np) of the tile into QX layouts
// at buf (qx_bytes(n) apart); `src(p)` gives the vector index in the global arrays.
template <class Src>
__device__ __forceinline__ void stage_qx(unsigned char* buf, int n, int p0, int np, const std::int8_t* q,
                                         const float* d, const float* sd, const int* s16, Src src) {
  const int tid = threadIdx.x, vb = int(qx_bytes(n));
  for (int i = tid; i < np * (n / 16); i += kTileThreads) {
    const int p = i / (n / 16), c = i - p * (n / 16);
    cp_async16(buf + p * vb + xpb(16 * c), q + (size_t)src(p0 + p) * n + 16 * c);
  }
  for (int i = tid; i < np * (n / 32); i += kTileThreads) {
    const int p = i / (n / 32), c = i - p * (n / 32);
    const size_t g = (size_t)src(p0 + p) * (n / 32) + c;
    const QX v = qx_at(buf + p * vb, n);
    const_cast<float*>(v.d)[c] = d[g];
    const_cast<float*>(v.sd)[c] = sd[g];
    const_cast<int*>(v.s16)[2 * c] = s16[2 * g];
    const_cast<int*>(v.s16)[2 * c + 1] = s16[2 * g + 1];
  }
  cp_async_commit();
  cp_async_wait<0>();
  __syncthreads();
}

__global__ void __launch_bounds__(kTileThreads) gate_up_tile_kernel(GroupedArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ int pid[kBM];
  __shared__ float act32[kPC][kRows];
  const int tile = blockIdx.y;
  if (tile >= a.tiles[0]) return;
  const int e = a.tiles[1 + 3 * tile], start = a.tiles[2 + 3 * tile], cnt = a.tiles[3 + 3 * tile];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, H = a.hidden;
  if (tid < kBM) pid[tid] = tid < cnt ? a.sorted[start + tid] : -1;
  const size_t gslot = slot_bytes(a.gate.row_bytes), uslot = slot_bytes(a.up.row_bytes);
  std::uint8_t* gbuf = smem;
  std::uint8_t* ubuf = gbuf + kRows * gslot;
  unsigned char* xbuf = ubuf + kRows * uslot;
  const int r0 = blockIdx.x * kRows;
  for (int i = warp; i < 2 * kRows; i += kTileThreads / 32) {
    const int r = i & (kRows - 1);
    if (i < kRows) stage_row(gbuf + r * gslot, row_ptr(a.gate, e, r0 + r), a.gate.row_bytes, lane, 32);
    else stage_row(ubuf + r * uslot, row_ptr(a.up, e, r0 + r), a.up.row_bytes, lane, 32);
  }
  cp_async_commit();
  __syncthreads();  // pid
  const int units = H / 64, G = a.ffn / 32;
  for (int p0 = 0; p0 < cnt; p0 += kPC) {
    const int np = min(kPC, cnt - p0);
    if (p0 > 0) __syncthreads();  // the previous pairs' vectors and act32 are consumed
    stage_qx(xbuf, H, p0, np, a.xq, a.xd, a.xsd, a.xs16, [&](int p) { return pid[p] / a.top_k; });
    for (int r = warp; r < kRows; r += kTileThreads / 32) {
      float g[kPC], u[kPC];
      row_dot_q8_n<kPC>(a.gate.type, in_slot(gbuf + r * gslot, row_ptr(a.gate, e, r0 + r)), units, xbuf, H, np, lane, g);
      row_dot_q8_n<kPC>(a.up.type, in_slot(ubuf + r * uslot, row_ptr(a.up, e, r0 + r)), units, xbuf, H, np, lane, u);
      if (lane == 0)
#pragma unroll
        for (int p = 0; p < kPC; ++p)
          if (p < np) act32[p][r] = silu(g[p]) * u[p];
    }
    __syncthreads();
    for (int p = warp; p < np; p += kTileThreads / 32) {
      const int pair = pid[p0 + p];
      q8_store(act32[p][lane], a.act_q + (size_t)pair * a.ffn + r0 + lane, a.act_d + (size_t)pair * G + blockIdx.x,
               a.act_sd + (size_t)pair * G + blockIdx.x,
               a.act_s16 + (size_t)pair * (a.ffn / 16) + 2 * blockIdx.x + (lane >> 4), lane);
    }
  }
}

__global__ void __launch_bounds__(kTileThreads) down_tile_kernel(GroupedArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ int pid[kBM];
  const int tile = blockIdx.y;
  if (tile >= a.tiles[0]) return;
  const int e = a.tiles[1 + 3 * tile], start = a.tiles[2 + 3 * tile], cnt = a.tiles[3 + 3 * tile];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, F = a.ffn;
  if (tid < kBM) pid[tid] = tid < cnt ? a.sorted[start + tid] : -1;
  const size_t slot = slot_bytes(a.down.row_bytes);
  unsigned char* xbuf = smem + kRows * slot;
  const int r0 = blockIdx.x * kRows;
  for (int r = warp; r < kRows; r += kTileThreads / 32)
    stage_row(smem + r * slot, row_ptr(a.down, e, r0 + r), a.down.row_bytes, lane, 32);
  cp_async_commit();
  __syncthreads();
  const int units = F / 64;
  for (int p0 = 0; p0 < cnt; p0 += kPC) {
    const int np = min(kPC, cnt - p0);
    if (p0 > 0) __syncthreads();
    stage_qx(xbuf, F, p0, np, a.act_q, a.act_d, a.act_sd, a.act_s16, [&](int p) { return pid[p]; });
    for (int r = warp; r < kRows; r += kTileThreads / 32) {
      float y[kPC];
      row_dot_q8_n<kPC>(a.down.type, in_slot(smem + r * slot, row_ptr(a.down, e, r0 + r)), units, xbuf, F, np, lane, y);
      if (lane == 0)
#pragma unroll
        for (int p = 0; p < kPC; ++p)
          if (p < np) a.y[(size_t)pid[p0 + p] * a.hidden + r0 + r] = y[p];
    }
  }
}

__global__ void combine_kernel(GroupedArgs a) {
  const int t = blockIdx.x;
  for (int i = threadIdx.x; i < a.hidden; i += blockDim.x) {
    float s = 0.f;
    for (int j = 0; j < a.top_k; ++j)
      s = __fadd_rn(s, __fmul_rn(a.weights[(size_t)t * a.top_k + j], a.y[((size_t)t * a.top_k + j) * a.hidden + i]));
    a.out[(size_t)t * a.hidden + i] = __fadd_rn(a.h[(size_t)t * a.hidden + i], s);
  }
}

size_t gate_up_tile_smem(const GroupedArgs& a) {
  return kRows * (slot_bytes(a.gate.row_bytes) + slot_bytes(a.up.row_bytes)) + kPC * qx_bytes(a.hidden);
}
size_t down_tile_smem(const GroupedArgs& a) { return kRows * slot_bytes(a.down.row_bytes) + kPC * qx_bytes(a.ffn); }

}  // namespace

int grouped_max_tiles(int tokens, int top_k, int n_experts) {
  const int pairs = tokens * top_k;
  return (pairs + kBM - 1) / kBM + (pairs < n_experts ? pairs : n_experts);
}

std::size_t grouped_smem_needed(const GroupedArgs& a) {
  return std::max(gate_up_tile_smem(a), down_tile_smem(a));
}

void configure_grouped() {
  const int max = 200 * 1024;
  PV_CUDA_CHECK(cudaFuncSetAttribute(gate_up_tile_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(down_tile_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(group_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 * 1024));
}

void launch_grouped(const GroupedArgs& a, cudaStream_t stream) {
  const int pairs = a.tokens * a.top_k;
  const size_t gsmem = sizeof(int) * (32 + 3) * size_t(a.n_experts);
  group_kernel<<<1, kGroupThreads, gsmem, stream>>>(a.experts, pairs, a.n_experts, a.sorted, a.tiles);
  PV_CUDA_CHECK_LAUNCH("group_kernel<<<...>>>");
  const int max_tiles = grouped_max_tiles(a.tokens, a.top_k, a.n_experts);
  gate_up_tile_kernel<<<dim3(a.ffn / kRows, max_tiles), kTileThreads, gate_up_tile_smem(a), stream>>>(a);
  PV_CUDA_CHECK_LAUNCH("gate_up_tile_kernel<<<...>>>");
  down_tile_kernel<<<dim3(a.hidden / kRows, max_tiles), kTileThreads, down_tile_smem(a), stream>>>(a);
  PV_CUDA_CHECK_LAUNCH("down_tile_kernel<<<...>>>");
  combine_kernel<<<a.tokens, 256, 0, stream>>>(a);
  PV_CUDA_CHECK_LAUNCH("combine_kernel<<<...>>>");
}

}  // namespace pv::engine::cuda
