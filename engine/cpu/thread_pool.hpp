#pragma once
// A fixed pool of std::threads running index ranges with dynamic scheduling. The caller takes
// part as worker 0, so a pool of 1 runs everything inline. A layer runs several short
// parallel_for phases (a decode layer takes milliseconds), so workers and the caller spin
// briefly (kSpin pauses, ~0.1 ms) before sleeping on a condition variable: a futex wake-up
// costs tens of microseconds per phase on a busy machine. The caller waits only for workers
// that joined the phase before it closed it (all items claimed): a worker still asleep or
// descheduled by other processes when the caller has run the last item is not waited for, so
// an oversubscribed machine does not add a scheduler delay to every phase. Results never
// depend on which worker ran an item: every item writes its own outputs (no shared
// accumulators, no atomics on data).
//
// Items are split into one contiguous segment per participant, each with its own counter:
// a worker takes the items of its own segment in order, then helps with the others. Work
// lists are ordered by address (expert, then row), so each core streams through contiguous
// weight rows and its hardware prefetchers keep up; taking items in turn from one shared
// counter made every core jump from item to item, and 2 threads decoded slower than 1.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pv::engine::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // <= 0: std::thread::hardware_concurrency()
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // fn(item, worker) for every item in [0, n); returns when all are done. The first exception
  // thrown by any item is rethrown here (the remaining items are skipped).
  void parallel_for(std::size_t n, const std::function<void(std::size_t, int)>& fn);

 private:
  void worker_loop(int id);
  void run_items(int id);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(std::size_t, int)>* fn_ = nullptr;
  struct alignas(64) Segment {  // own cache line: claimed by its owner item after item
    std::atomic<std::size_t> next{0};
    std::size_t end = 0;
  };
  std::vector<Segment> segments_;
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> joined_{0};     // workers inside the current phase
  std::atomic<bool> closed_{true}; // all items claimed: late workers must not join
  std::atomic<bool> stop_{false};
};

int default_threads();  // hardware_concurrency, at least 1

}  // namespace pv::engine::cpu
