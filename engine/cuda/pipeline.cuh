#pragma once
// A warp's own pipeline of bulk copies (sm_90 cp.async.bulk, the TMA engine): item i is staged
// into slot i % depth while items i - depth + 1 .. i - 1 are in flight, so up to `depth` items
// per warp are on their way at once and nothing but the warp itself waits for them (no block
// barriers). One instruction per row, not one per 16 bytes per lane (cp.async staging was a
// third of the fused kernel's instructions), and slot s completes through its own mbarrier,
// armed with the item's byte count. Plus bulk L2 prefetches: one instruction pulls a whole row
// into L2 ahead of the phase that reads it.
#include <cstddef>
#include <cstdint>

#include "engine/cuda/stage.cuh"

namespace pv::engine::cuda {

// The warp keeps one parity bit per slot (the phase it waits for next) across phases and
// layers; every lane holds the same bits.
constexpr int kBulkSlots = 4;  // the deepest ring a warp uses
struct WarpBulk {
  std::uint64_t* bar;  // [kBulkSlots] this warp's mbarriers (shared memory)
  unsigned parity;
};

// By one thread per barrier, before any use; the caller then synchronises the block. Its phase
// completes after `arrivals` bulk_expect calls and the bytes they announced.
__device__ __forceinline__ void bulk_init(std::uint64_t* bar, unsigned arrivals = 1) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_u32(bar)), "r"(arrivals) : "memory");
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}
// One arrival (the slot's single expected one) that also announces `bytes` of copies.
__device__ __forceinline__ void bulk_expect(std::uint64_t* bar, unsigned bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_u32(bar)), "r"(bytes) : "memory");
}
// Copies `bytes` (a multiple of 16; both addresses 16-byte aligned) into shared memory.
__device__ __forceinline__ void bulk_copy(void* dst, const void* src, unsigned bytes, std::uint64_t* bar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(
                   smem_u32(dst)),
               "l"(src), "r"(bytes), "r"(smem_u32(bar))
               : "memory");
}
__device__ __forceinline__ void bulk_wait(std::uint64_t* bar, unsigned parity) {
  unsigned done = 0;
  while (!done)
    asm volatile(
        "{\n .reg .pred p;\n mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n selp.u32 %0, 1, 0, p;\n}\n"
        : "=r"(done)
        : "r"(smem_u32(bar)), "r"(parity)
        : "memory");
}

// stage(i, slot) arms wb.bar[slot] and issues item i's copies; consume(i, slot) uses them.
// 1 <= depth <= kBulkSlots. bulk_pipeline_start issues the first depth - 1 items; the warp may
// do other work before bulk_pipeline_run, which streams the rest and consumes every item in order.
template <class Stage>
__device__ __forceinline__ void bulk_pipeline_start(int n, int depth, Stage&& stage) {
  for (int s = 0; s < depth - 1 && s < n; ++s) stage(s, s);
}
// The slots advance as counters, not as i % depth: depth is a run-time value, and its division
// cost ~20 dependent instructions per item.
template <class Stage, class Consume>
__device__ __forceinline__ void bulk_pipeline_run(int n, int depth, WarpBulk& wb, Stage&& stage, Consume&& consume) {
  int slot = 0, next_slot = depth - 1;  // i % depth and (i + depth - 1) % depth
  for (int i = 0; i < n; ++i) {
    if (i + depth - 1 < n) stage(i + depth - 1, next_slot);
    bulk_wait(wb.bar + slot, (wb.parity >> slot) & 1u);
    wb.parity ^= 1u << slot;
    consume(i, slot);
    __syncwarp();  // the slot is free before it is staged again
    slot = slot + 1 == depth ? 0 : slot + 1;
    next_slot = next_slot + 1 == depth ? 0 : next_slot + 1;
  }
}

// Pulls [p, p + bytes) into L2, widened to 16-byte boundaries (the instruction's granule).
__device__ __forceinline__ void prefetch_l2_bulk(const void* p, std::size_t bytes) {
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t lo = a & ~std::uintptr_t(15), hi = (a + bytes + 15) & ~std::uintptr_t(15);
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;\n" ::"l"(lo), "r"(unsigned(hi - lo)) : "memory");
}

}  // namespace pv::engine::cuda
