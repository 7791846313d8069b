#pragma once
// Facts about the GPU for reports, and the device-to-device copy bandwidth the roofline uses.
#include <cstddef>
#include <string>

namespace pv::engine::cuda {

struct DeviceInfo {
  std::string name;            // "NVIDIA H100 80GB HBM3"
  int driver_version = 0;      // cudaDriverGetVersion, e.g. 13000
  int runtime_version = 0;     // cudaRuntimeGetVersion
  int sm_count = 0, cc_major = 0, cc_minor = 0;
  std::size_t total_bytes = 0, free_bytes = 0, l2_bytes = 0;
};

// Throws when no device is present.
DeviceInfo device_info();

// Copies `bytes` device-to-device `reps` times after a warm-up; returns the median
// bandwidth in bytes/s counting bytes read plus bytes written (2 x bytes per copy).
double copy_bandwidth(std::size_t bytes, int reps);

}  // namespace pv::engine::cuda
