// Per-layer decode path: where the fused stack kernel (stack.cu) does not fit in shared memory
// (exact mode from T = 10 on for Qwen3's shapes). Per (token, selected expert) pair, so only the selected experts'
// rows are read and a token's output never depends on the rest of its batch.
//   gate_up_kernel: grid (ffn/32, pairs), 8 warps x 4 rows. The block stages its 32 gate and 32
//     up rows into shared memory with cp.async (all bytes in flight at once, no registers held,
//     in 4 groups so computing overlaps the copies), then each lane walks 64-value units,
//     butterfly reduction, act = silu(g) * u. exact: f32 x (dot_unit); q8: int8 x and __dp4a
//     (dot_unit_q8), act stored on the Q8_1 grid as int8 + scales.
//   down_kernel: grid (hidden/8, tokens), 8 warps x 1 row. Stages the down rows of up to 8 of
//     the token's experts (before waiting for gate_up: programmatic dependent launch, pdl.cuh)
//     and their act vectors, any k in chunks of 8; per expert j the warp's row dot y_j
//     (row_dot_q8: lanes over 64-value units, butterfly), out = h + sum_j w_j * y_j in slot
//     order. The grouped batch path (grouped.cu) computes y_j and the sum with exactly these
//     operations, so a token's output is bitwise the same alone or in any batch.
#include <algorithm>

#include "engine/cuda/act_vec.cuh"
#include "engine/cuda/check.hpp"
#include "engine/cuda/kernels.hpp"
#include "engine/cuda/pdl.cuh"
#include "engine/cuda/quant_dev.cuh"
#include "engine/cuda/quant_q8.cuh"
#include "engine/cuda/stage.cuh"
#include "engine/cuda/warp.cuh"

namespace pv::engine::cuda {
namespace {

constexpr int kGuRows = 32, kGuThreads = 256;  // 8 warps x 4 rows
constexpr int kDnRows = 8, kDnThreads = 256;   // 8 warps x 1 row
constexpr int kDnChunk = 8;                    // experts staged at once (any k: in chunks)

template <bool kQ8>
__global__ void __launch_bounds__(kGuThreads) gate_up_kernel(DecodeArgs a, int pair_base) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ float act32[kGuRows];
  const int H = a.hidden, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  std::uint8_t* wbuf = smem + vec_bytes(kQ8, H);
  const size_t gslot = slot_bytes(a.gate.row_bytes), uslot = slot_bytes(a.up.row_bytes);
  std::uint8_t* ubuf = wbuf + kGuRows * gslot;
  pdl_wait();  // experts and xn come from the router just before
  pdl_launch_dependents();
  const int pair = pair_base + blockIdx.y;
  const int t = pair / a.top_k, e = a.experts[pair];
  const int r0 = blockIdx.x * kGuRows;
  // Four cp.async groups of 8 rows (gate and up): the warps compute on group s while the
  // later groups are still arriving. Warp w owns rows w, 8 + w, 16 + w, 24 + w.
#pragma unroll
  for (int s = 0; s < 4; ++s) {
    for (int i = warp; i < 16; i += kGuThreads / 32) {
      const int r = 8 * s + (i & 7);
      if (i < 8) stage_row(wbuf + r * gslot, row_ptr(a.gate, e, r0 + r), a.gate.row_bytes, lane, 32);
      else stage_row(ubuf + r * uslot, row_ptr(a.up, e, r0 + r), a.up.row_bytes, lane, 32);
    }
    cp_async_commit();
  }
  for (int g = warp; g < H / 32; g += kGuThreads / 32)  // xn: on the q8 grid already in q8 mode
    vec_store32<kQ8>(a.xn[(size_t)t * H + 32 * g + lane], smem, H, g, lane);
#pragma unroll
  for (int s = 0; s < 4; ++s) {
    if (s == 0) cp_async_wait<3>();
    else if (s == 1) cp_async_wait<2>();
    else if (s == 2) cp_async_wait<1>();
    else cp_async_wait<0>();
    __syncthreads();
    const int r = 8 * s + warp;
    const std::uint8_t* gr = in_slot(wbuf + r * gslot, row_ptr(a.gate, e, r0 + r));
    const std::uint8_t* ur = in_slot(ubuf + r * uslot, row_ptr(a.up, e, r0 + r));
    const float g = row_dot_vec<kQ8>(a.gate.type, gr, smem, H, lane);
    const float u = row_dot_vec<kQ8>(a.up.type, ur, smem, H, lane);
    if (lane == 0) act32[r] = silu(g) * u;
  }
  __syncthreads();
  if (warp == 0) {
    const float v = act32[lane];
    const int G = a.ffn / 32;
    if constexpr (kQ8) {
      q8_store(v, a.act_q + (size_t)pair * a.ffn + r0 + lane, a.act_d + (size_t)pair * G + blockIdx.x,
               a.act_sd + (size_t)pair * G + blockIdx.x,
               a.act_s16 + (size_t)pair * (a.ffn / 16) + 2 * blockIdx.x + (lane >> 4), lane);
    } else {
      a.act[(size_t)pair * a.ffn + r0 + lane] = v;
      const float s = warp_sum(v);
      if (lane == 0) a.act_sum[(size_t)pair * G + blockIdx.x] = s;
    }
  }
}

template <bool kQ8>
__global__ void __launch_bounds__(kDnThreads) down_kernel(DecodeArgs a, int token_base) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int t = token_base + blockIdx.y, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int k = a.top_k, F = a.ffn, G = F / 32;
  const int chunk = min(k, kDnChunk);
  const size_t vb = vec_bytes(kQ8, F);
  std::uint8_t* wbuf = smem + chunk * vb;
  const size_t slot = slot_bytes(a.down.row_bytes);
  const int r0 = blockIdx.x * kDnRows;
  auto stage_rows = [&](int j0, int nj) {
    for (int i = warp; i < nj * kDnRows; i += kDnThreads / 32) {
      const int jj = i / kDnRows, r = i - jj * kDnRows;
      const int e = a.experts[(size_t)t * k + j0 + jj];
      stage_row(wbuf + i * slot, row_ptr(a.down, e, r0 + r), a.down.row_bytes, lane, 32);
    }
  };
  auto stage_acts = [&](int j0, int nj) {
    if constexpr (kQ8) {
      for (int i = tid; i < nj * (F / 16); i += kDnThreads) {
        const int jj = i / (F / 16), c = i - jj * (F / 16);
        cp_async16(smem + jj * vb + xpb(16 * c), a.act_q + ((size_t)t * k + j0 + jj) * F + 16 * c);
      }
      for (int i = tid; i < nj * G; i += kDnThreads) {
        const int jj = i / G, c = i - jj * G;
        const size_t pg = ((size_t)t * k + j0 + jj) * G + c;
        const QX v = vec_q(smem + jj * vb, F);
        const_cast<float*>(v.d)[c] = a.act_d[pg];
        const_cast<float*>(v.sd)[c] = a.act_sd[pg];
        const_cast<int*>(v.s16)[2 * c] = a.act_s16[2 * pg];
        const_cast<int*>(v.s16)[2 * c + 1] = a.act_s16[2 * pg + 1];
      }
    } else {
      for (int i = tid; i < nj * (F / 4); i += kDnThreads) {
        const int jj = i / (F / 4), c = i - jj * (F / 4);
        cp_async16(vec_f(smem + jj * vb, F).x + xp(4 * c), a.act + ((size_t)t * k + j0 + jj) * F + 4 * c);
      }
      for (int i = tid; i < nj * G; i += kDnThreads) {
        const int jj = i / G, c = i - jj * G;
        vec_f(smem + jj * vb, F).sum[c] = a.act_sum[((size_t)t * k + j0 + jj) * G + c];
      }
    }
  };
  // The router's experts are final when this kernel starts (see pdl.cuh), so the first experts'
  // down rows are staged before waiting for gate_up's act: the copies overlap gate_up.
  stage_rows(0, chunk);
  cp_async_commit();
  pdl_wait();
  pdl_launch_dependents();

  const int r = r0 + warp;
  // out = h + sum_j w_j * y_j in slot order, y_j = the warp's row dot: the same operations in
  // the same order as the grouped path's down + combine kernels (grouped.cu).
  float acc = 0.f;
  for (int j0 = 0; j0 < k; j0 += chunk) {
    const int nj = min(chunk, k - j0);
    if (j0 > 0) {
      __syncthreads();  // the previous chunk is consumed
      stage_rows(j0, nj);
    }
    stage_acts(j0, nj);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();
    for (int jj = 0; jj < nj; ++jj) {
      const int j = j0 + jj;
      const int e = a.experts[(size_t)t * k + j];
      const std::uint8_t* row = in_slot(wbuf + (jj * kDnRows + warp) * slot, row_ptr(a.down, e, r));
      const float y = row_dot_vec<kQ8>(a.down.type, row, smem + jj * vb, F, lane);
      acc = __fadd_rn(acc, __fmul_rn(a.weights[(size_t)t * k + j], y));
    }
  }
  if (lane == 0) {
    const size_t o = (size_t)t * a.hidden + r;
    a.out[o] = __fadd_rn(a.h[o], acc);
  }
}

size_t gate_up_smem(const DecodeArgs& a) {
  return vec_bytes(a.q8, a.hidden) + kGuRows * (slot_bytes(a.gate.row_bytes) + slot_bytes(a.up.row_bytes));
}
size_t down_smem(const DecodeArgs& a) {
  return size_t(std::min(a.top_k, kDnChunk)) * (vec_bytes(a.q8, a.ffn) + kDnRows * slot_bytes(a.down.row_bytes));
}

}  // namespace

void configure_decode() {
  const int max = 200 * 1024;
  PV_CUDA_CHECK(cudaFuncSetAttribute(gate_up_kernel<false>, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(gate_up_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(down_kernel<false>, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
  PV_CUDA_CHECK(cudaFuncSetAttribute(down_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize, max));
}

std::size_t decode_smem_needed(const DecodeArgs& a) {
  DecodeArgs e = a, q = a;
  e.q8 = false;
  q.q8 = true;
  return std::max({gate_up_smem(e), down_smem(e), gate_up_smem(q), down_smem(q)});
}

void launch_decode(const DecodeArgs& a, cudaStream_t stream) {
  constexpr int kMaxY = 65535;
  const int pairs = a.tokens * a.top_k;
  // Programmatic dependent launch for decode-sized grids (one wave): with many waves the
  // early-started blocks of the next kernel would hold SM slots the current one needs.
  const bool pdl = a.pdl && a.tokens <= 8;
  for (int base = 0; base < pairs; base += kMaxY) {
    const dim3 grid(a.ffn / kGuRows, min(kMaxY, pairs - base));
    launch_maybe_pdl(pdl, a.q8 ? gate_up_kernel<true> : gate_up_kernel<false>, grid, dim3(kGuThreads),
                     gate_up_smem(a), stream, "cudaLaunchKernelEx(gate_up_kernel)", a, base);
  }
  for (int base = 0; base < a.tokens; base += kMaxY) {
    const dim3 grid(a.hidden / kDnRows, min(kMaxY, a.tokens - base));
    launch_maybe_pdl(pdl, a.q8 ? down_kernel<true> : down_kernel<false>, grid, dim3(kDnThreads),
                     down_smem(a), stream, "cudaLaunchKernelEx(down_kernel)", a, base);
  }
}

}  // namespace pv::engine::cuda
