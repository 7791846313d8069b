#include "engine/cuda/device_info.hpp"

#include <algorithm>
#include <vector>

#include <cuda_runtime_api.h>

#include "engine/cuda/check.hpp"

namespace pv::engine::cuda {

DeviceInfo device_info() {
  DeviceInfo d;
  int dev = 0;
  PV_CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp p{};
  PV_CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  d.name = p.name;
  d.sm_count = p.multiProcessorCount;
  d.cc_major = p.major;
  d.cc_minor = p.minor;
  d.l2_bytes = static_cast<std::size_t>(p.l2CacheSize);
  PV_CUDA_CHECK(cudaDriverGetVersion(&d.driver_version));
  PV_CUDA_CHECK(cudaRuntimeGetVersion(&d.runtime_version));
  PV_CUDA_CHECK(cudaMemGetInfo(&d.free_bytes, &d.total_bytes));
  return d;
}

double copy_bandwidth(std::size_t bytes, int reps) {
  void* src = device_alloc(bytes, "copy-bandwidth source");
  void* dst = nullptr;
  try {
    dst = device_alloc(bytes, "copy-bandwidth destination");
  } catch (...) {
    device_free(src);
    throw;
  }
  std::vector<float> ms;
  cudaEvent_t a = nullptr, b = nullptr;
  try {
    PV_CUDA_CHECK(cudaMemset(src, 0x5a, bytes));
    PV_CUDA_CHECK(cudaEventCreate(&a));
    PV_CUDA_CHECK(cudaEventCreate(&b));
    PV_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice));  // warm-up
    for (int i = 0; i < reps; ++i) {
      PV_CUDA_CHECK(cudaEventRecord(a));
      PV_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice));
      PV_CUDA_CHECK(cudaEventRecord(b));
      PV_CUDA_CHECK(cudaEventSynchronize(b));
      float t = 0.f;
      PV_CUDA_CHECK(cudaEventElapsedTime(&t, a, b));
      ms.push_back(t);
    }
  } catch (...) {
    if (a) cudaEventDestroy(a);
    if (b) cudaEventDestroy(b);
    device_free(src);
    device_free(dst);
    throw;
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  device_free(src);
  device_free(dst);
  std::sort(ms.begin(), ms.end());
  const double med = ms[ms.size() / 2] * 1e-3;
  return 2.0 * static_cast<double>(bytes) / med;
}

}  // namespace pv::engine::cuda
