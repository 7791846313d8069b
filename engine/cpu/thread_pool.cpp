#include "engine/cpu/thread_pool.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace pv::engine::cpu {
namespace {
constexpr int kSpin = 20000;  // _mm_pause is ~5-140 cycles depending on the CPU
inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}
}  // namespace

int default_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int threads) {
  const int n = threads <= 0 ? default_threads() : threads;
  segments_ = std::vector<Segment>(static_cast<std::size_t>(n));
  for (int i = 1; i < n; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::run_items(int id) {
  const std::size_t S = segments_.size();
  for (std::size_t k = 0; k < S; ++k) {  // own segment first, then the others in turn
    Segment& seg = segments_[(static_cast<std::size_t>(id) + k) % S];
    for (;;) {
      if (failed_.load(std::memory_order_relaxed)) return;
      const std::size_t i = seg.next.fetch_add(1, std::memory_order_relaxed);
      if (i >= seg.end) break;
      try {
        (*fn_)(i, id);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
        failed_ = true;
      }
    }
  }
}

void ThreadPool::worker_loop(int id) {
  std::uint64_t seen = 0;
  for (;;) {
    for (int s = 0; s < kSpin && generation_.load(std::memory_order_acquire) == seen && !stop_; ++s) relax();
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || generation_.load(std::memory_order_acquire) != seen; });
    }
    if (stop_) return;
    seen = generation_.load(std::memory_order_acquire);
    // Join, then check that the phase is still open (both seq_cst, against the caller's
    // close-then-read-joined_): either the caller sees this worker and waits for it, or this
    // worker sees the close and touches nothing. Reading closed_ == false from the store made
    // when a phase was posted also makes that phase's fn_ and segments visible, whichever phase
    // this worker woke up for.
    joined_.fetch_add(1);
    if (!closed_.load()) run_items(id);
    if (joined_.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(mu_);  // the caller checks joined_ under mu_: no lost wake-up
      done_cv_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(std::size_t n, const std::function<void(std::size_t, int)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    const std::size_t S = segments_.size();
    for (std::size_t k = 0; k < S; ++k) {
      segments_[k].next.store(n * k / S, std::memory_order_relaxed);
      segments_[k].end = n * (k + 1) / S;
    }
    failed_ = false;
    error_ = nullptr;
    closed_.store(false);  // seq_cst, after the fields above
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_cv_.notify_all();
  run_items(0);
  closed_.store(true);  // every item is claimed; wait only for the workers that joined
  for (int s = 0; s < kSpin && joined_.load() != 0; ++s) relax();
  std::exception_ptr err;
  {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return joined_.load() == 0; });
    err = error_;
  }
  if (err) std::rethrow_exception(err);
}

}  // namespace pv::engine::cpu
