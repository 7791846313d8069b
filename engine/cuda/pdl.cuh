#pragma once
// Programmatic dependent launch (sm_90): a kernel launched with `launch_pdl` may start while
// the previous kernel in the stream is still running. Each kernel therefore does only work that
// does not depend on the previous kernel before `pdl_wait()` (which returns once the previous
// grid has completed and its writes are visible), and calls `pdl_launch_dependents()` after
// its own wait, so that the kernel after it starts early only once the one before has
// finished: a kernel's pre-wait prologue may read what the kernel two launches back wrote.
// Without the launch attribute both instructions are no-ops.
#include <cuda_runtime.h>

#include "engine/cuda/check.hpp"

namespace pv::engine::cuda {

__device__ __forceinline__ void pdl_wait() { asm volatile("griddepcontrol.wait;\n" ::: "memory"); }
__device__ __forceinline__ void pdl_launch_dependents() { asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory"); }
__device__ __forceinline__ void prefetch_l2(const void* p) { asm volatile("prefetch.global.L2 [%0];\n" ::"l"(p)); }

template <class... Params, class... Args>
void launch_maybe_pdl(bool pdl, void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem,
                      cudaStream_t stream, const char* what, Args&&... args) {
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cfg.attrs = attr;
  cfg.numAttrs = pdl ? 1 : 0;
  check(cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...), what, __FILE__, __LINE__);
}

}  // namespace pv::engine::cuda
