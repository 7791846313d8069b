#pragma once
// Memory bandwidth measured in the same process as the benchmarks it is compared with.
#include <cstddef>

namespace pv::engine::bench {

struct BandwidthOptions {
  std::size_t bytes = std::size_t{512} << 20;  // per buffer; far above any L3
  int reps = 5;                                 // best of reps (after one warm-up pass)
  int threads = 1;                              // each thread copies its own slice
};

struct Bandwidth {
  double copy_gbs = 0;  // memcpy: bytes copied per second (each byte read once, written once)
  double read_gbs = 0;  // bytes read per second by a summing loop (no writes)
  std::size_t bytes = 0;
  int threads = 1;
};

Bandwidth measure_bandwidth(const BandwidthOptions& opt);

// Runs fn(first, last) over [0, n) split into `threads` contiguous slices, one std::thread
// each, and returns the wall time in seconds.
double timed_parallel(std::size_t n, int threads, const void* ctx,
                      void (*fn)(const void* ctx, std::size_t first, std::size_t last));

}  // namespace pv::engine::bench
