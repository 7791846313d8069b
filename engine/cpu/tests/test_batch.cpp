// A token's output is bitwise independent of its batch and of the thread count.
#include <catch2/catch.hpp>

#include <cstdio>
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/cpu/cpu_engine.hpp"
#include "engine/cpu/tests/test_model.hpp"

using namespace pv::engine;

namespace {
bool same_bits(const float* a, const float* b, std::size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }
}  // namespace

TEST_CASE("batch output equals per-token output bit for bit in both modes") {
  testing::TestModelSpec s;
  s.hidden = 256;
  s.n_experts = 16;
  s.top_k = 4;
  s.layers = 3;
  s.gate = quant::Type::Q8_0;  // quick to build; the Q4_K/Q6_K rows still take their own paths

  s.seed = 21;
  std::printf("batch independence: seed %llu\n", static_cast<unsigned long long>(s.seed));
  auto om = testing::make_test_model(s);
  const int T = 37;
  const auto h = testing::random_hidden(T, s.hidden, 22);
  cpu::CpuEngine eng;
  eng.load(om->model);
  for (ActivationMode mode : {ActivationMode::exact, ActivationMode::q8}) {
    ForwardOptions opt;
    opt.mode = mode;
    opt.capture_routing = true;
    const ForwardResult batch = eng.forward(0, 3, h.data(), T, opt);
    for (int t = 0; t < T; ++t) {
      const ForwardResult one = eng.forward(0, 3, h.data() + std::size_t(t) * s.hidden, 1, opt);
      INFO("mode " << to_string(mode) << " token " << t);
      CHECK(same_bits(one.hidden.data(), batch.hidden.data() + std::size_t(t) * s.hidden, s.hidden));
      for (int l = 0; l < 3; ++l)
        CHECK(same_bits(one.routing[l].weights.data(), batch.routing[l].weights.data() + t * s.top_k, s.top_k));
    }
    // Another batch composition: the tokens reversed and two of them duplicated.
    std::vector<float> h2;
    for (int t = T - 1; t >= 0; --t) h2.insert(h2.end(), h.begin() + t * s.hidden, h.begin() + (t + 1) * s.hidden);
    h2.insert(h2.end(), h.begin(), h.begin() + 2 * s.hidden);
    const ForwardResult other = eng.forward(0, 3, h2.data(), T + 2, opt);
    for (int t = 0; t < T; ++t)
      CHECK(same_bits(other.hidden.data() + std::size_t(T - 1 - t) * s.hidden,
                      batch.hidden.data() + std::size_t(t) * s.hidden, s.hidden));
  }
}

TEST_CASE("results do not depend on the thread count") {
  testing::TestModelSpec s;
  s.n_experts = 8;
  s.top_k = 2;
  s.layers = 2;
  s.seed = 31;
  auto om = testing::make_test_model(s);
  const auto h = testing::random_hidden(9, s.hidden, 32);
  cpu::CpuEngine eng;
  eng.load(om->model);
  ForwardOptions opt;
  opt.threads = 1;
  const ForwardResult a = eng.forward(0, 2, h.data(), 9, opt);
  for (int threads : {2, 3, 5}) {
    opt.threads = threads;
    const ForwardResult b = eng.forward(0, 2, h.data(), 9, opt);
    CHECK(eng.last_stats().threads == threads);
    CHECK(same_bits(a.hidden.data(), b.hidden.data(), a.hidden.size()));
  }
}

TEST_CASE("the AVX2 and scalar paths agree within f32 rounding") {
  if (!quant::isa_supported(quant::Isa::avx2)) {
    // Without AVX2 the engine must refuse to pretend it has it.
    CHECK_THROWS_WITH(cpu::CpuEngine({quant::Isa::avx2}), Catch::Contains("lacks avx2"));
    return;
  }
  testing::TestModelSpec s;
  s.seed = 41;
  auto om = testing::make_test_model(s);
  const auto h = testing::random_hidden(3, s.hidden, 42);
  cpu::CpuEngine fast({quant::Isa::avx2}), slow({quant::Isa::scalar});
  fast.load(om->model);
  slow.load(om->model);
  for (ActivationMode mode : {ActivationMode::exact, ActivationMode::q8}) {
    ForwardOptions opt;
    opt.mode = mode;
    const ForwardResult a = fast.forward(0, 1, h.data(), 3, opt), b = slow.forward(0, 1, h.data(), 3, opt);
    // The two differ only in f32 summation order (dot.hpp: dot_f32_bound); relative to the
    // output's magnitude (~1) a few hundred ulps at most.
    double worst = 0;
    for (std::size_t i = 0; i < a.hidden.size(); ++i) worst = std::max(worst, double(std::abs(a.hidden[i] - b.hidden[i])));
    INFO("mode " << to_string(mode) << " max |avx2 - scalar| " << worst);
    CHECK(worst < 1e-4);
  }
}
