#include "engine/cuda/check.hpp"

#include <stdexcept>

namespace pv::engine::cuda {

std::string device_label() {
  int dev = -1;
  if (cudaGetDevice(&dev) != cudaSuccess) {
    cudaGetLastError();
    return "device ?";
  }
  cudaDeviceProp prop{};
  std::string name = "?";
  if (cudaGetDeviceProperties(&prop, dev) == cudaSuccess) name = prop.name;
  else cudaGetLastError();
  return "device " + std::to_string(dev) + " (" + name + ")";
}

void throw_cuda_error(cudaError_t e, const char* stmt, const char* file, int line) {
  std::string f = file;
  if (auto p = f.rfind("engine/"); p != std::string::npos) f = f.substr(p);
  throw std::runtime_error(std::string("CUDA error ") + cudaGetErrorName(e) + " (" +
                           cudaGetErrorString(e) + ") in `" + stmt + "` at " + f + ":" +
                           std::to_string(line) + " on " + device_label());
}

void* device_alloc(std::size_t bytes, const std::string& what) {
  void* p = nullptr;
  if (bytes == 0) return nullptr;
  cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the sticky-free error so later calls work
    std::size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    throw std::runtime_error("CUDA out of memory allocating " + std::to_string(bytes) +
                             " bytes for " + what + ": " + std::to_string(free_b) +
                             " bytes free of " + std::to_string(total_b) + " on " +
                             device_label());
  }
  check(e, ("cudaMalloc(" + what + ")").c_str(), __FILE__, __LINE__);
  return p;
}

void device_free(void* p) noexcept {
  if (p) cudaFree(p);
}

}  // namespace pv::engine::cuda
