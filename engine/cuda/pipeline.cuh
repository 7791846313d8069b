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

// Pulls [p, p + bytes) into L2, widened to 16-byte boundaries (the instruction's granule).
__device__ __forceinline__ void prefetch_l2_bulk(const void* p, std::size_t bytes) {
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t lo = a & ~std::uintptr_t(15), hi = (a + bytes + 15) & ~std::uintptr_t(15);
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;\n" ::"l"(lo), "r"(unsigned(hi - lo)) : "memory");
}

}  // namespace pv::engine::cuda
