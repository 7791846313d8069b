// Memory beyond the model is O(T x hidden + T x k x ffn): measured by counting every heap
// allocation made during forward() through a replaced global operator new.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "engine/cpu/cpu_engine.hpp"
#include "engine/cpu/tests/test_model.hpp"

namespace {
std::atomic<long long> g_live{0}, g_peak{0};
constexpr std::size_t kHeader = 16;  // keeps the returned pointer 16-byte aligned

void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n + kHeader);
  if (p == nullptr) throw std::bad_alloc();
  *static_cast<std::size_t*>(p) = n;
  const long long live = g_live += static_cast<long long>(n);
  long long peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
  return static_cast<char*>(p) + kHeader;
}
void counted_free(void* q) {
  if (q == nullptr) return;
  void* p = static_cast<char*>(q) - kHeader;
  g_live -= static_cast<long long>(*static_cast<std::size_t*>(p));
  std::free(p);
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }

using namespace pv::engine;

namespace {
// Peak heap growth of one forward call of T tokens on a fresh engine.
long long measure(const MoeModel& m, int T, const std::vector<float>& h, ActivationMode mode, std::size_t* scratch) {
  cpu::CpuEngine eng;
  eng.load(m);
  ForwardOptions opt;
  opt.mode = mode;
  opt.threads = 2;
  const long long base = g_live.load();
  g_peak = base;
  {
    const ForwardResult r = eng.forward(0, 2, h.data(), T, opt);
    *scratch = eng.last_stats().scratch_bytes;
  }
  return g_peak.load() - base;
}
}  // namespace

TEST_CASE("forward() memory is O(T hidden + T k ffn) and never the expert weights in f32") {
  testing::TestModelSpec s;
  s.hidden = 512;
  s.expert_ffn = 512;
  s.n_experts = 16;
  s.top_k = 4;
  s.layers = 2;
  s.seed = 51;
  s.gate = s.up = s.down = pv::engine::quant::Type::Q8_0;  // fast to quantise; memory is type-blind
  auto om = testing::make_test_model(s);
  const std::size_t f32_matrix = std::size_t(s.hidden) * s.expert_ffn * 4;  // one expert matrix in f32: 1 MiB
  for (ActivationMode mode : {ActivationMode::exact, ActivationMode::q8}) {
    for (int T : {1, 64, 256}) {
      const auto h = testing::random_hidden(T, s.hidden, 52);
      std::size_t scratch = 0;
      const long long used = measure(om->model, T, h, mode, &scratch);
      // Bound from scratch.hpp plus the result and the captured routing (all in floats):
      // 3 T d (x, ping-pong, result) + 2 T k F (act, down chunk) + 3 T E + 5 T k, plus Q8_K
      // copies (292/256 bytes per value) of x and act, plus 1 MiB for the pool's threads and
      // the work list (independent of T).
      const double Td = double(T) * s.hidden, TkF = double(T) * s.top_k * s.expert_ffn;
      const double bound = 4 * (3 * Td + 2 * TkF + 3.0 * T * s.n_experts + 5.0 * T * s.top_k) +
                           (292.0 / 256) * (Td + TkF) + (1 << 20);
      INFO("mode " << to_string(mode) << " T " << T << " measured " << used << " B, bound " << bound
                   << " B, reported scratch " << scratch << " B");
      CHECK(double(used) <= bound);
      CHECK(scratch <= std::size_t(used));        // the report is not an overestimate of nothing
      if (T == 1) CHECK(std::size_t(used) < f32_matrix);  // not even one expert matrix expanded
    }
  }
}
