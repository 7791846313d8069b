#pragma once
// Staging quantised rows into shared memory with cp.async: every 16-byte chunk of a block's
// weight rows is in flight at once (no registers held), which a latency-bound GEMV needs.
// Rows of 210-byte (Q6_K) or 34-byte (Q8_0) blocks are not 16-byte aligned, so a row is copied
// as the 16-byte chunks covering it, from its address rounded down to 16; the row then starts
// (address & 15) bytes into its slot.
#include <cstddef>
#include <cstdint>

#include "engine/cuda/kernels.hpp"

namespace pv::engine::cuda {

// Where row r of expert e's matrix starts in device memory.
__device__ __forceinline__ const std::uint8_t* row_ptr(const DevMat& m, int e, int r) {
  return m.data + (std::size_t)e * m.expert_bytes + (std::size_t)r * m.row_bytes;
}

// Shared-memory bytes of one staged row slot.
__host__ __device__ constexpr std::size_t slot_bytes(std::size_t row_bytes) {
  return (row_bytes + 15 + 15) / 16 * 16;
}

// A shared-memory pointer as the 32-bit address PTX's shared-state instructions take.
__device__ __forceinline__ unsigned smem_u32(const void* p) { return static_cast<unsigned>(__cvta_generic_to_shared(p)); }

__device__ __forceinline__ void cp_async16(void* smem, const void* gmem) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem_u32(smem)), "l"(gmem));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
// Waits until at most N of this thread's committed groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

// The 16-byte chunks covering a row: where they start and how many bytes they are.
struct RowSpan { const std::uint8_t* base; std::size_t bytes; };
__device__ __forceinline__ RowSpan row_span(const std::uint8_t* row, std::size_t row_bytes) {
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(row);
  return {reinterpret_cast<const std::uint8_t*>(a & ~std::uintptr_t(15)), ((a & 15) + row_bytes + 15) / 16 * 16};
}
// Issues the copies of one row by the `n` threads numbered `i` (a warp: lane, 32); the row
// then starts at in_slot(slot, row).
__device__ __forceinline__ void stage_row(std::uint8_t* slot, const std::uint8_t* row, std::size_t row_bytes, int i,
                                          int n) {
  const RowSpan sp = row_span(row, row_bytes);
  const int chunks = int(sp.bytes / 16);
  for (int c = i; c < chunks; c += n) cp_async16(slot + 16 * c, sp.base + 16 * c);
}
// Where a staged row starts in its slot.
__device__ __forceinline__ const std::uint8_t* in_slot(const std::uint8_t* slot, const std::uint8_t* row) {
  return slot + (reinterpret_cast<std::uintptr_t>(row) & 15);
}

}  // namespace pv::engine::cuda
