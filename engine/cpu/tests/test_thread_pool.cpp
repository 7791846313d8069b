// The thread pool runs every item exactly once, survives many back-to-back phases (the spin /
// sleep hand-over) and rethrows an item's exception in the caller.
#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "engine/cpu/thread_pool.hpp"

using pv::engine::cpu::ThreadPool;

TEST_CASE("every item runs exactly once across many phases") {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    CHECK(pool.size() == threads);
    std::vector<int> hits(1000, 0);
    std::atomic<bool> bad_worker{false};  // Catch2 assertions are not thread-safe
    for (int phase = 0; phase < 500; ++phase) {
      const std::size_t n = std::size_t(1 + phase % 37);
      pool.parallel_for(n, [&](std::size_t i, int worker) {
        if (worker < 0 || worker >= threads) bad_worker = true;
        ++hits[i];  // items are disjoint: no race
      });
    }
    CHECK_FALSE(bad_worker);
    long total = 0;
    for (int h : hits) total += h;
    long expect = 0;
    for (int phase = 0; phase < 500; ++phase) expect += 1 + phase % 37;
    CHECK(total == expect);
  }
}

TEST_CASE("an exception in an item reaches the caller and the pool stays usable") {
  ThreadPool pool(3);
  CHECK_THROWS_WITH(pool.parallel_for(100, [](std::size_t i, int) {
    if (i == 42) throw std::runtime_error("item 42 failed");
  }), "item 42 failed");
  std::atomic<int> count{0};
  pool.parallel_for(100, [&](std::size_t, int) { ++count; });
  CHECK(count == 100);
}
