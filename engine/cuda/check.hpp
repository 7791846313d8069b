#pragma once
// Every CUDA runtime call goes through PV_CUDA_CHECK: a failure throws std::runtime_error
// naming the statement, file:line and device, e.g.
//   CUDA error cudaErrorInvalidValue (invalid argument) in `cudaMemcpy(...)` at decode.cu:42 on device 0 (NVIDIA H100 80GB HBM3)
// Device allocations go through device_alloc, whose out-of-memory message says how many bytes
// were asked for and how many were free.
#include <cstddef>
#include <string>

#include <cuda_runtime_api.h>

namespace pv::engine::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t e, const char* stmt, const char* file, int line);

inline void check(cudaError_t e, const char* stmt, const char* file, int line) {
  if (e != cudaSuccess) throw_cuda_error(e, stmt, file, line);
}

// cudaMalloc of `bytes` for `what` (a tensor name or workspace label).
void* device_alloc(std::size_t bytes, const std::string& what);
void device_free(void* p) noexcept;

// "device 0 (NVIDIA H100 80GB HBM3)", or "device ?" when none is current.
std::string device_label();

}  // namespace pv::engine::cuda

#define PV_CUDA_CHECK(stmt) ::pv::engine::cuda::check((stmt), #stmt, __FILE__, __LINE__)
// After a kernel launch: launch-configuration errors surface here, with the launch's location.
#define PV_CUDA_CHECK_LAUNCH(what) ::pv::engine::cuda::check(cudaGetLastError(), what, __FILE__, __LINE__)
