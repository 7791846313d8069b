#pragma once
// A warp's own cp.async pipeline: item i is staged into slot i % depth while items i - depth + 1
// .. i - 1 are in flight, so up to `depth` items per warp are on their way at once and nothing
// but the warp itself waits for them (no block barriers). One commit group per item; every
// iteration commits one (possibly empty) group, so "item i has arrived" is always
// cp.async.wait_group(depth - 1). Plus bulk L2 prefetches (sm_90): one instruction pulls a
// whole row into L2 ahead of the phase that reads it.
#include <cstddef>
#include <cstdint>

#include "engine/cuda/stage.cuh"

namespace pv::engine::cuda {

constexpr int kMaxDepth = 8;

__device__ __forceinline__ void cp_async_wait_dyn(int pending) {
  switch (pending) {
    case 0: cp_async_wait<0>(); break;
    case 1: cp_async_wait<1>(); break;
    case 2: cp_async_wait<2>(); break;
    case 3: cp_async_wait<3>(); break;
    case 4: cp_async_wait<4>(); break;
    case 5: cp_async_wait<5>(); break;
    case 6: cp_async_wait<6>(); break;
    default: cp_async_wait<7>(); break;
  }
}

// stage(i, slot): issue item i's copies into `slot` (the lanes of the warp); consume(i, slot):
// use it. 1 <= depth <= kMaxDepth. warp_pipeline_start issues the first depth - 1 items; the
// warp may do other work (with plain loads and stores) before warp_pipeline_run, which
// streams the rest and consumes every item in order.
template <class Stage>
__device__ __forceinline__ void warp_pipeline_start(int n, int depth, Stage&& stage) {
  for (int s = 0; s < depth - 1; ++s) {
    if (s < n) stage(s, s);
    cp_async_commit();
  }
}
template <class Stage, class Consume>
__device__ __forceinline__ void warp_pipeline_run(int n, int depth, Stage&& stage, Consume&& consume) {
  for (int i = 0; i < n; ++i) {
    const int next = i + depth - 1;
    if (next < n) stage(next, next % depth);
    cp_async_commit();
    cp_async_wait_dyn(depth - 1);
    __syncwarp();  // every lane's copies of item i are visible to the whole warp
    consume(i, i % depth);
    __syncwarp();  // the slot is free before it is staged again
  }
}

// The same pipeline with bulk copies (sm_90 cp.async.bulk, the TMA engine): one instruction per
// row instead of one per 16 bytes per lane (staging was a third of the fused kernel's
// instructions), and slot s of a warp's ring completes through its own mbarrier, armed with the
// item's byte count. The warp keeps one parity bit per slot (the phase it waits for next) across
// phases and layers; every lane holds the same bits.
constexpr int kBulkSlots = 4;  // the deepest ring a warp uses
struct WarpBulk {
  std::uint64_t* bar;  // [kBulkSlots] this warp's mbarriers (shared memory)
  unsigned parity;
};

__device__ __forceinline__ unsigned smem_u32(const void* p) { return static_cast<unsigned>(__cvta_generic_to_shared(p)); }
// By one thread per barrier, before any use; the caller then synchronises the block.
__device__ __forceinline__ void bulk_init(std::uint64_t* bar) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;\n" ::"r"(smem_u32(bar)) : "memory");
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
// 1 <= depth <= kBulkSlots. As warp_pipeline_start / warp_pipeline_run.
template <class Stage>
__device__ __forceinline__ void bulk_pipeline_start(int n, int depth, Stage&& stage) {
  for (int s = 0; s < depth - 1 && s < n; ++s) stage(s, s);
}
template <class Stage, class Consume>
__device__ __forceinline__ void bulk_pipeline_run(int n, int depth, WarpBulk& wb, Stage&& stage, Consume&& consume) {
  for (int i = 0; i < n; ++i) {
    const int next = i + depth - 1;
    if (next < n) stage(next, next % depth);
    const int slot = i % depth;
    bulk_wait(wb.bar + slot, (wb.parity >> slot) & 1u);
    wb.parity ^= 1u << slot;
    consume(i, slot);
    __syncwarp();  // the slot is free before it is staged again
  }
}

// Pulls [p, p + bytes) into L2, widened to 16-byte boundaries (the instruction's granule).
__device__ __forceinline__ void prefetch_l2_bulk(const void* p, std::size_t bytes) {
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t lo = a & ~std::uintptr_t(15), hi = (a + bytes + 15) & ~std::uintptr_t(15);
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;\n" ::"l"(lo), "r"(unsigned(hi - lo)) : "memory");
}

}  // namespace pv::engine::cuda
