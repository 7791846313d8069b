#include "falsifiers/suite/common/gpu_device.hpp"

#ifdef PV_SUITE_HAS_CUDA
#include "engine/cuda/device_info.hpp"
#endif

namespace pv::falsify::suite {

#ifdef PV_SUITE_HAS_CUDA
GpuMemory gpu_memory(Context&) {
  const auto i = engine::cuda::device_info();
  return GpuMemory{i.name, i.total_bytes, i.free_bytes};
}
double gpu_copy_bandwidth(Context&, std::size_t bytes, int reps) { return engine::cuda::copy_bandwidth(bytes, reps); }
#else
GpuMemory gpu_memory(Context& ctx) { ctx.skip("pv was built without the CUDA engine (no CUDA compiler)"); }
double gpu_copy_bandwidth(Context& ctx, std::size_t, int) {
  ctx.skip("pv was built without the CUDA engine (no CUDA compiler)");
}
#endif

}  // namespace pv::falsify::suite
