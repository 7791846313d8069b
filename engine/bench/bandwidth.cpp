#include "engine/bench/bandwidth.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace pv::engine::bench {

double timed_parallel(std::size_t n, int threads, const void* ctx,
                      void (*fn)(const void* ctx, std::size_t first, std::size_t last)) {
  threads = std::max(1, threads);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t)
    pool.emplace_back(fn, ctx, n * t / threads, n * (t + 1) / threads);
  fn(ctx, 0, n / threads);
  for (auto& th : pool) th.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

namespace {
struct Buffers {
  std::uint8_t* src;
  std::uint8_t* dst;
};
std::uint64_t g_sink;  // keeps the read loop from being optimised away

void copy_slice(const void* ctx, std::size_t a, std::size_t b) {
  const auto* bufs = static_cast<const Buffers*>(ctx);
  std::memcpy(bufs->dst + a, bufs->src + a, b - a);
}

void read_slice(const void* ctx, std::size_t a, std::size_t b) {
  const auto* bufs = static_cast<const Buffers*>(ctx);
  const auto* p = reinterpret_cast<const std::uint64_t*>(bufs->src);
  std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (std::size_t i = a / 8; i + 4 <= b / 8; i += 4) {
    s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3];
  }
  __atomic_fetch_add(&g_sink, s0 + s1 + s2 + s3, __ATOMIC_RELAXED);
}
}  // namespace

Bandwidth measure_bandwidth(const BandwidthOptions& opt) {
  const std::size_t n = opt.bytes / 64 * 64;
  std::vector<std::uint8_t> src(n), dst(n);
  for (std::size_t i = 0; i < n; i += 4096) src[i] = static_cast<std::uint8_t>(i >> 12);  // touch pages
  std::memset(dst.data(), 1, n);
  Buffers b{src.data(), dst.data()};
  double best_copy = 1e30, best_read = 1e30;
  for (int r = 0; r <= opt.reps; ++r) {  // r = 0 is the warm-up
    const double tc = timed_parallel(n, opt.threads, &b, copy_slice);
    const double tr = timed_parallel(n, opt.threads, &b, read_slice);
    if (r > 0) {
      best_copy = std::min(best_copy, tc);
      best_read = std::min(best_read, tr);
    }
  }
  return {static_cast<double>(n) / best_copy / 1e9, static_cast<double>(n) / best_read / 1e9, n, std::max(1, opt.threads)};
}

}  // namespace pv::engine::bench
