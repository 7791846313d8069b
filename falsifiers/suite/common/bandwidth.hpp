#pragma once
// Host memory read bandwidth, the roofline the CPU decode is measured against.
#include <cstddef>

namespace pv::falsify::suite {

// Best of `runs` passes of `threads` threads each summing its share of a `bytes` buffer
// (far larger than any cache), in bytes read per second.
double host_read_bandwidth(int threads, int runs, std::size_t bytes = std::size_t(1) << 30);

}  // namespace pv::falsify::suite
