#include "falsifiers/suite/common/bandwidth.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace pv::falsify::suite {

double host_read_bandwidth(int threads, int runs, std::size_t bytes) {
  threads = std::max(1, threads);
  const std::size_t n = bytes / sizeof(std::uint64_t);
  std::vector<std::uint64_t> buf(n);
  // Touch every page in parallel so first-touch placement matches the readers.
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] { std::fill(buf.begin() + n * t / threads, buf.begin() + n * (t + 1) / threads, t + 1); });
  for (auto& th : ts) th.join();
  double best = 0;
  std::vector<std::uint64_t> sums(threads);
  for (int r = 0; r < std::max(1, runs); ++r) {
    ts.clear();
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        std::uint64_t a = 0, b = 0, c = 0, d = 0;  // four chains so the adds are not the limit
        const std::uint64_t* p = buf.data() + n * t / threads;
        const std::uint64_t* e = buf.data() + n * (t + 1) / threads;
        for (; p + 4 <= e; p += 4) a += p[0], b += p[1], c += p[2], d += p[3];
        sums[t] = a + b + c + d;
      });
    for (auto& th : ts) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(n * sizeof(std::uint64_t)) / s);
  }
  volatile std::uint64_t sink = 0;
  for (auto s : sums) sink = sink + s;  // keep the sums alive
  return best;
}

}  // namespace pv::falsify::suite
