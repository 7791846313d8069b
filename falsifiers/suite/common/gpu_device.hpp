#pragma once
// What the GPU falsifiers ask the CUDA layer (engine/cuda/device_info.hpp) directly. In a
// build without the CUDA engine these SKIP, saying so (engine_for() normally skips first).
#include <cstddef>
#include <string>

#include "falsifiers/framework/falsifier.hpp"

namespace pv::falsify::suite {

struct GpuMemory {
  std::string name;
  std::size_t total_bytes = 0, free_bytes = 0;
};
GpuMemory gpu_memory(Context& ctx);                                // cudaMemGetInfo via device_info()
double gpu_copy_bandwidth(Context& ctx, std::size_t bytes, int reps);  // bytes/s, read + write

}  // namespace pv::falsify::suite
