#pragma once
// Host entry points of the CUDA MoE kernels (one .cu per operation). Every launcher checks its
// launch with PV_CUDA_CHECK_LAUNCH and enqueues on `stream` only, so a sequence of them can be
// captured into a CUDA graph.
//
// Activation precision, per kernel (ActivationMode); the fused decode kernel (stack.cu) computes
// the same values as router + decode below, bit for bit:
//   router            f32 RMSNorm, f32 router GEMV/GEMM, f32 softmax/top-k, in both modes.
//   decode gate/up    exact: f32 activations x f32-dequantised weights, f32 accumulation.
//                     q8: activations rounded to int8 per 32 values (Q8_1 grid: d = amax/127,
//                     q = round(x/d)), integer dot products with the weights' quants (__dp4a,
//                     exact), scales applied per 16/32 values in f32.
//   decode down       as gate/up, on the SwiGLU output (q8: quantised per 32 ffn values).
//   grouped tiles     q8 mode, T > 8 where the fused stack does not hold the tokens: the
//                     same int8 activations as the decode kernels, integer sums per 16/32
//                     values on the tensor cores (mma.sync .s8), the decode kernels' f32 unit
//                     formulas and summation order; a staged weight row serves up to 16 pairs
//                     of one expert, and every output is bitwise the decode kernels' output.
#include <cstddef>
#include <cstdint>

#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include "engine/cuda/fast_div.hpp"

namespace pv::engine::cuda {

struct DevMat {  // one [E][rows, cols] expert tensor on the device
  const std::uint8_t* data = nullptr;
  int type = 0;  // ggml type id: 8 Q8_0, 12 Q4_K, 14 Q6_K
  int rows = 0, cols = 0;
  std::size_t row_bytes = 0, expert_bytes = 0;
};

struct RouterArgs {
  const float* h = nullptr;     // [T, hidden]
  const float* norm = nullptr;  // [hidden]
  const float* router = nullptr;  // [E, hidden]
  int tokens = 0, hidden = 0, n_experts = 0, top_k = 0;
  float eps = 1e-6f;
  bool q8 = false;
  bool racy = false;            // Fault::cuda_reduction_race
  float* xn = nullptr;          // [T, hidden] normalised (q8: on the int8 grid)
  // q8 grouped path only (else null): xn quantised again exactly as gate_up_kernel does
  // (q8_store per 32 values): int8 q, scale d, d * sum q per 32 values.
  std::int8_t* xq = nullptr;    // [T, hidden]
  float* xd = nullptr;          // [T, hidden/32]
  float* xsd = nullptr;         // [T, hidden/32]
  float* probs = nullptr;       // [T, E]
  std::int32_t* experts = nullptr;  // [T, k]
  float* weights = nullptr;     // [T, k]
  float* logits = nullptr;      // [T, E] workspace
  int* tickets = nullptr;       // [router_token_groups(T)] workspace, zero before the first launch
  int sm_count = 132;
  bool pdl = false;             // programmatic dependent launch (pdl.cuh)
};
int router_token_groups(int tokens);
void launch_router(const RouterArgs& a, cudaStream_t stream);

struct DecodeArgs {
  DevMat gate, up, down;
  int tokens = 0, top_k = 0, hidden = 0, ffn = 0;
  bool q8 = false;
  const float* h = nullptr;         // [T, hidden] residual input
  const float* xn = nullptr;        // [T, hidden] router output
  const std::int32_t* experts = nullptr;  // [T, k]
  const float* weights = nullptr;   // [T, k]
  float* act = nullptr;             // [T*k, ffn] workspace
  float* act_sum = nullptr;         // [T*k, ffn/32] workspace: sums of act per 32 values
  std::int8_t* act_q = nullptr;     // q8: [T*k, ffn] act on the Q8_1 grid
  float* act_d = nullptr;           // q8: [T*k, ffn/32] its scales
  float* act_sd = nullptr;          // q8: [T*k, ffn/32] scale * sum of q
  int* act_s16 = nullptr;           // q8: [T*k, ffn/16] sums of q per 16 values
  float* out = nullptr;             // [T, hidden]
  bool pdl = true;                  // programmatic dependent launch (pdl.cuh) when T <= 8
};
// Dynamic shared memory the decode kernels need for these shapes (the engine checks it
// against the device's limit at load()).
std::size_t decode_smem_needed(const DecodeArgs& a);
// One launch for gate+up+SwiGLU over every (token, selected expert) pair, one launch for
// down + weighted sum + residual. A token's result does not depend on the other tokens.
void launch_decode(const DecodeArgs& a, cudaStream_t stream);

struct GroupedArgs {
  DevMat gate, up, down;
  int tokens = 0, top_k = 0, hidden = 0, ffn = 0, n_experts = 0;
  const float* h = nullptr;
  const std::int8_t* xq = nullptr;        // router's Q8_1 activations (RouterArgs::xq etc.)
  const float* xd = nullptr;
  const float* xsd = nullptr;
  const std::int32_t* experts = nullptr;  // [T, k]
  const float* weights = nullptr;         // [T, k]
  // workspace (CudaMoeEngine::ensure_workspace sizes it for the largest batch so far)
  std::int32_t* sorted = nullptr;   // [T*k] pair ids sorted by expert (stable)
  std::int32_t* tiles = nullptr;    // [1 + 3 * grouped_tile_capacity]: the count, then (expert, start, count)
  float* act = nullptr;             // [T*k, ffn] SwiGLU output, f32
  std::int8_t* act_q = nullptr;     // [T*k, ffn] SwiGLU output on the Q8_1 grid (as DecodeArgs)
  float* act_d = nullptr;           // [T*k, ffn/32]
  float* act_sd = nullptr;          // [T*k, ffn/32]
  float* y = nullptr;               // [T*k, hidden]
  float* out = nullptr;             // [T, hidden]
};
// Pairs a tile holds (8 or 16) for these shapes; the most tiles a batch can need with bm pairs a
// tile; and the tiles a workspace must hold to serve every batch of up to `tokens`.
int grouped_tile_pairs(int tokens, int top_k, int n_experts);
int grouped_max_tiles(int tokens, int top_k, int n_experts, int bm);
int grouped_tile_capacity(int tokens, int top_k, int n_experts);
// Dynamic shared memory the grouped kernels need for these shapes (checked at load()).
std::size_t grouped_smem_needed(const GroupedArgs& a);
// Tokens grouped by expert on the device, then per-expert tiles of integer row dots.
void launch_grouped(const GroupedArgs& a, cudaStream_t stream);

// Decode, fused (stack.cu): every layer of a forward pass in one cooperative launch, one block
// per SM, grid-wide barriers (split into arrive and wait) between the phases (router, gate + up + SwiGLU, down + weighted
// sum + residual), so nothing waits for a kernel launch and every SM streams expert rows. The
// values are bitwise those of the per-layer kernels above (router_kernel + launch_decode).
struct StackLayer {  // one layer's device tensors
  const float* norm = nullptr;    // [hidden]
  const float* router = nullptr;  // [E, hidden]
  DevMat gate, up, down;
};
struct StackArgs {
  const StackLayer* layers = nullptr;  // [count], on the device
  int count = 0, tokens = 0, top_k = 0, hidden = 0, ffn = 0, n_experts = 0;
  float eps = 1e-6f;
  bool q8 = false;
  bool racy = false;                   // Fault::cuda_reduction_race
  const float* hin = nullptr;          // [T, hidden]; layer i writes ha (i even) or hb (i odd)
  float* ha = nullptr;
  float* hb = nullptr;
  float* act = nullptr;                // [T*k, ffn] workspace: SwiGLU output, f32
  float* logits = nullptr;             // [T, E] workspace
  unsigned* barrier = nullptr;         // grid barrier counter, 0 before each launch
  float* probs = nullptr;              // [count][T, E]
  std::int32_t* experts = nullptr;     // [count][T, k]
  float* weights = nullptr;            // [count][T, k]
  // Optional [count][kStackMarks] %globaltimer stamps (ns) taken by thread 0 of block 0 at the
  // phase boundaries, and the grid's latest end of phase G (PV_CUDA_STACK_TRACE, see
  // CudaMoeEngine::device_forward_ms).
  unsigned long long* trace = nullptr;
  // With trace: [count][2][blocks] stamps of each block's end of phase G and of phase D.
  unsigned long long* trace_blocks = nullptr;
  // Each role's ggml type when every layer has the same (DevMat::type), else 0.
  int gate_type = 0, up_type = 0, down_type = 0;
  // The largest row of any layer's gate, up and down tensors (their slots in shared memory).
  std::size_t gate_row_bytes = 0, up_row_bytes = 0, down_row_bytes = 0;
  // Filled by plan_stack: grid size, pipeline depths, shared-memory layout.
  int blocks = 0, gu_depth = 0, dn_depth = 0, act_tokens = 0;
  std::size_t off_a = 0, off_pz = 0, off_sel = 0, off_scratch = 0, off_u = 0, smem = 0;
  FastDiv by_ffn, by_hidden, by_top_k;  // the items' index splits
};
// Chooses the launch for these shapes on a device with `sm_count` SMs and `smem_optin` bytes of
// shared memory per block; false when the fused kernel does not apply (T > 16, or the shapes
// do not fit in shared memory): the caller then uses the per-layer kernels.
bool plan_stack(StackArgs& a, int sm_count, int smem_optin);
// Phase boundaries StackArgs::trace records per layer, in order (the "first rows" marks: when
// warp 0 of block 0 has its first staged rows of the phase in shared memory).
enum StackMark {
  kMarkLayer, kMarkNorm, kMarkLogits, kMarkXBarrier, kMarkRouted, kMarkGuFirst, kMarkGuDone,
  kMarkDnBarrier, kMarkActStaged, kMarkDnFirst, kMarkDnDone, kMarkLayerBarrier,
  kMarkGuLast,  // not a phase boundary of block 0: when the last block finished phase G
  kStackMarks
};
constexpr const char* kStackMarkNames[kStackMarks] = {
    "layer start", "norm done", "logits done", "x vectors + barrier", "routed",
    "gate/up first rows", "gate/up done", "down copies issued + barrier", "act staged", "down first rows",
    "down done", "down barrier", "last block's gate/up done"};
// Zeroes the barrier counter, then launches (both captured into the caller's graph).
void launch_stack(const StackArgs& a, cudaStream_t stream);

// Sets the dynamic shared-memory limits of the kernels once per device (idempotent).
void configure_kernels();

}  // namespace pv::engine::cuda
