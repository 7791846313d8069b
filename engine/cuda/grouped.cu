// Batch path (q8 mode, T > 8): tokens grouped by expert on the device, then grouped GEMMs on
// fp16 tensor cores (mma.sync m16n8k16, f32 accumulation).
//   group_kernel: one block; a stable counting sort of the T*k (token, slot) pairs by expert,
//     plus a tile list (expert, first sorted pair, count <= kBM). Integer work only.
//   mma_kernel<gate_up>: a block = one tile of <= kBM pairs of one expert x kBW weight rows
//     (gate_up: 64 gate rows + the same 64 up rows). Each K step dequantises one 256-value
//     super-block per weight row into shared memory as fp16 and stages the pairs' activations;
//     8 warps, each 16 weight rows x 32 pairs. gate_up's epilogue applies SwiGLU and rounds to
//     the Q8_1 grid per 32 ffn values; down's writes y[pair, row].
//   combine_kernel: h' = h + sum_j w_j y[t*k + j], in slot order (deterministic).
#include "engine/cuda/check.hpp"
#include "engine/cuda/kernels.hpp"
#include "engine/cuda/quant_dev.cuh"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {
namespace {

constexpr int kBM = 32;           // pairs per tile
constexpr int kBW = 128;          // weight rows per block
constexpr int kLDS = 256 + 8;     // fp16 row stride in shared memory (16-byte pad: no bank conflicts)
constexpr int kMmaThreads = 256;  // 8 warps, 16 weight rows each
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

__device__ __forceinline__ void mma16816(float* c, const std::uint32_t* a, std::uint32_t b0, std::uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

template <bool kGateUp>
__global__ void __launch_bounds__(kMmaThreads) mma_kernel(GroupedArgs a) {
  extern __shared__ __align__(16) unsigned char msm[];
  __half* W = reinterpret_cast<__half*>(msm);  // [kBW][kLDS]
  __half* X = W + kBW * kLDS;                  // [kBM][kLDS]
  __shared__ int pid[kBM];
  const int tile = blockIdx.y;
  if (tile >= a.tiles[0]) return;
  const int e = a.tiles[1 + 3 * tile], start = a.tiles[2 + 3 * tile], cnt = a.tiles[3 + 3 * tile];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, t4 = lane & 3;
  if (tid < kBM) pid[tid] = tid < cnt ? a.sorted[start + tid] : -1;
  __syncthreads();
  const int K = kGateUp ? a.hidden : a.ffn;
  const int n0 = blockIdx.x * (kGateUp ? kBW / 2 : kBW);
  // Thread -> (weight row wr of the tile, half of the super-block); rows 0..63 of a gate_up
  // tile are gate rows n0.., rows 64..127 the up rows n0.. .
  const int wr = tid & (kBW - 1), part = tid / kBW;
  const DevMat& wm = kGateUp ? (wr < 64 ? a.gate : a.up) : a.down;
  const int wrow = kGateUp ? n0 + (wr & 63) : n0 + wr;
  const std::uint8_t* wptr = wm.data + (size_t)e * wm.expert_bytes + (size_t)wrow * wm.row_bytes;
  float acc[4][4] = {};
  for (int kb = 0; kb < K / 256; ++kb) {
    dequant_superblock_half(wm.type, wptr, kb, part, W + wr * kLDS);
#pragma unroll
    for (int i = 0; i < kBM * 32 / kMmaThreads; ++i) {
      const int idx = tid + kMmaThreads * i, p = idx >> 5, c = idx & 31;
      uint4 v = make_uint4(0, 0, 0, 0);
      if (p < cnt) {
        const __half* src = kGateUp ? a.xh + (size_t)(pid[p] / a.top_k) * a.hidden
                                    : a.acth + (size_t)pid[p] * a.ffn;
        v = *reinterpret_cast<const uint4*>(src + kb * 256 + 8 * c);
      }
      *reinterpret_cast<uint4*>(X + p * kLDS + 8 * c) = v;
    }
    __syncthreads();
#pragma unroll 4
    for (int ks = 0; ks < 16; ++ks) {
      const int kk = 16 * ks + 2 * t4;
      std::uint32_t af[4];
      const __half* base = W + (16 * warp + g) * kLDS + kk;
      af[0] = *reinterpret_cast<const std::uint32_t*>(base);
      af[1] = *reinterpret_cast<const std::uint32_t*>(base + 8 * kLDS);
      af[2] = *reinterpret_cast<const std::uint32_t*>(base + 8);
      af[3] = *reinterpret_cast<const std::uint32_t*>(base + 8 * kLDS + 8);
#pragma unroll
      for (int nf = 0; nf < 4; ++nf) {
        const __half* bb = X + (8 * nf + g) * kLDS + kk;
        const std::uint32_t b0 = *reinterpret_cast<const std::uint32_t*>(bb);
        const std::uint32_t b1 = *reinterpret_cast<const std::uint32_t*>(bb + 8);
        mma16816(acc[nf], af, b0, b1);
      }
    }
    __syncthreads();
  }
  if constexpr (kGateUp) {
    float* C = reinterpret_cast<float*>(msm);  // [kBW][kBM + 1], reuses the weight tile
#pragma unroll
    for (int nf = 0; nf < 4; ++nf) {
      const int m = 16 * warp + g, n = 8 * nf + 2 * t4;
      C[m * (kBM + 1) + n] = acc[nf][0];
      C[m * (kBM + 1) + n + 1] = acc[nf][1];
      C[(m + 8) * (kBM + 1) + n] = acc[nf][2];
      C[(m + 8) * (kBM + 1) + n + 1] = acc[nf][3];
    }
    __syncthreads();
    for (int gi = warp; gi < 2 * kBM; gi += kMmaThreads / 32) {
      const int p = gi >> 1, n = 32 * (gi & 1) + lane;
      const float v = q8_round(silu(C[n * (kBM + 1) + p]) * C[(64 + n) * (kBM + 1) + p]);
      if (p < cnt) a.acth[(size_t)pid[p] * a.ffn + n0 + n] = __float2half_rn(v);
    }
  } else {
#pragma unroll
    for (int nf = 0; nf < 4; ++nf) {
      const int m = n0 + 16 * warp + g, p = 8 * nf + 2 * t4;
      if (p < cnt) {
        a.y[(size_t)pid[p] * a.hidden + m] = acc[nf][0];
        a.y[(size_t)pid[p] * a.hidden + m + 8] = acc[nf][2];
      }
      if (p + 1 < cnt) {
        a.y[(size_t)pid[p + 1] * a.hidden + m] = acc[nf][1];
        a.y[(size_t)pid[p + 1] * a.hidden + m + 8] = acc[nf][3];
      }
    }
  }
}

__global__ void combine_kernel(GroupedArgs a) {
  const int t = blockIdx.x;
  for (int i = threadIdx.x; i < a.hidden; i += blockDim.x) {
    float s = 0.f;
    for (int j = 0; j < a.top_k; ++j)
      s += a.weights[(size_t)t * a.top_k + j] * a.y[((size_t)t * a.top_k + j) * a.hidden + i];
    a.out[(size_t)t * a.hidden + i] = a.h[(size_t)t * a.hidden + i] + s;
  }
}

constexpr size_t kMmaSmem = sizeof(__half) * (kBW + kBM) * kLDS;

}  // namespace

int grouped_max_tiles(int tokens, int top_k, int n_experts) {
  const int pairs = tokens * top_k;
  return (pairs + kBM - 1) / kBM + (pairs < n_experts ? pairs : n_experts);
}

void configure_grouped() {
  PV_CUDA_CHECK(cudaFuncSetAttribute(mma_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)kMmaSmem));
  PV_CUDA_CHECK(cudaFuncSetAttribute(mma_kernel<false>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)kMmaSmem));
  PV_CUDA_CHECK(cudaFuncSetAttribute(group_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 * 1024));
}

void launch_grouped(const GroupedArgs& a, cudaStream_t stream) {
  const int pairs = a.tokens * a.top_k;
  const size_t gsmem = sizeof(int) * (32 + 3) * size_t(a.n_experts);
  group_kernel<<<1, kGroupThreads, gsmem, stream>>>(a.experts, pairs, a.n_experts, a.sorted, a.tiles);
  PV_CUDA_CHECK_LAUNCH("group_kernel<<<...>>>");
  const int max_tiles = grouped_max_tiles(a.tokens, a.top_k, a.n_experts);
  mma_kernel<true><<<dim3(a.ffn / (kBW / 2), max_tiles), kMmaThreads, kMmaSmem, stream>>>(a);
  PV_CUDA_CHECK_LAUNCH("mma_kernel<gate_up><<<...>>>");
  mma_kernel<false><<<dim3(a.hidden / kBW, max_tiles), kMmaThreads, kMmaSmem, stream>>>(a);
  PV_CUDA_CHECK_LAUNCH("mma_kernel<down><<<...>>>");
  combine_kernel<<<a.tokens, 256, 0, stream>>>(a);
  PV_CUDA_CHECK_LAUNCH("combine_kernel<<<...>>>");
}

}  // namespace pv::engine::cuda
