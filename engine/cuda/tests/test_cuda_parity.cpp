// CUDA engine vs the CPU engine and the f64 oracle, on shapes that exercise the kernels' edges.
// Seeds are fixed and printed with each case (INFO); reproduce one case with
//   test_cuda_engine "cuda: parity*"
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "engine/cpu/cpu_engine.hpp"
#include "engine/cuda/tests/fixture.hpp"
#include "engine/reference/oracle.hpp"

using namespace pv::engine;
using namespace pv::engine::cuda_test;

namespace {

// Tolerances on ||moe_a - moe_b|| / ||moe_b|| (moe = h' - h), derived:
// exact: f32 dot products of <= 2048 terms in different orders: typical relative rounding
//   sqrt(n) * 2^-24 ~ 3e-6 per dot, a few dots deep -> 1e-5; 1e-4 leaves 10x margin and is
//   still 100x under any planted bug's error (>= 1e-2).
constexpr double kExactTol = 1e-4;
// q8 vs the oracle: activations on an int8 grid per 32 values, d = amax/127; the rounding
//   noise is uniform in +-d/2, rms d/sqrt(12) ~ 2.5 sigma / 127 / 3.46 = 0.57% of the rms
//   value for Gaussian groups; it enters twice (x, SwiGLU output): ~0.8%, so 3e-2 (~4x).
constexpr double kQ8OracleTol = 3e-2;
// q8 CUDA (per-32 grid) vs q8 CPU (Q8_K, per-256 grid, ~0.7% each stage): independent noise of
//   both, ~1.1%, so 4e-2.
constexpr double kQ8CpuTol = 4e-2;

struct Case {
  Spec spec;
  std::vector<int> tokens;
  float offset = 0.f;
};

std::string describe(const Spec& s, int T, ActivationMode m) {
  std::ostringstream o;
  o << "hidden=" << s.hidden << " E=" << s.n_experts << " k=" << s.top_k << " ffn=" << s.ffn
    << " layers=" << s.layers << " gate=" << quant::name(s.gate) << " up=" << quant::name(s.up)
    << " down=" << quant::name(s.down) << " seed=" << s.seed << " T=" << T << " mode=" << to_string(m);
  return o.str();
}

void check_case(MoeEngine& gpu, const Case& c) {
  auto om = make_model(c.spec);
  gpu.load(om->model);
  REQUIRE(gpu.device_expert_bytes() == om->model.expert_bytes());
  auto cpu = cpu::make_cpu_engine();
  cpu->load(om->model);
  const int L = c.spec.layers, H = c.spec.hidden, K = c.spec.top_k;
  for (int T : c.tokens) {
    for (ActivationMode mode : {ActivationMode::exact, ActivationMode::q8}) {
      INFO(describe(c.spec, T, mode));
      const auto h = hidden_states(T, H, c.spec.seed * 7919 + std::uint64_t(T), c.offset);
      ForwardOptions opt;
      opt.mode = mode;
      opt.capture_routing = true;
      const ForwardResult g = gpu.forward(0, L, h.data(), T, opt);
      REQUIRE(g.hidden.size() == h.size());
      REQUIRE(g.routing.size() == std::size_t(L));
      for (float v : g.hidden) REQUIRE(std::isfinite(v));

      // Oracle on the experts the GPU chose (near-ties may legitimately differ in f32).
      std::vector<std::vector<std::int32_t>> forced;
      for (const auto& r : g.routing) forced.push_back(r.experts);
      reference::OracleOptions oo;
      oo.forced_experts = &forced;
      const auto ref = reference::oracle_forward(om->model, 0, L, h.data(), T, oo);
      const double e_ref = moe_rel_error(g.hidden, ref.hidden, h, H);
      INFO("rel error vs oracle " << e_ref);
      CHECK(e_ref < (mode == ActivationMode::exact ? kExactTol : kQ8OracleTol));

      // Routing of the first layer against the oracle's own f64 choice.
      const auto free_ref = reference::oracle_forward(om->model, 0, 1, h.data(), T);
      const auto& R = g.routing[0];
      std::vector<bool> same(std::size_t(T), true);
      for (int t = 0; t < T; ++t) {
        const bool clear = free_ref.routing[0].margin[std::size_t(t)] > 1e-5;
        for (int j = 0; j < K; ++j) {
          const std::size_t i = std::size_t(t) * K + j;
          if (R.experts[i] != free_ref.routing[0].experts[i]) same[std::size_t(t)] = false;
          if (clear) {
            INFO("token " << t << " slot " << j);
            CHECK(R.experts[i] == free_ref.routing[0].experts[i]);
            CHECK(std::abs(R.weights[i] - free_ref.routing[0].weights[i]) < 1e-5);
          }
        }
      }

      // The CPU engine in the same mode, on tokens that chose the same experts in every layer.
      if (mode == ActivationMode::exact || (cpu::cpu_supports(c.spec.gate, mode) &&
                                            cpu::cpu_supports(c.spec.up, mode) &&
                                            cpu::cpu_supports(c.spec.down, mode))) {
        const ForwardResult p = cpu->forward(0, L, h.data(), T, opt);
        std::vector<bool> use(std::size_t(T), true);
        for (int l = 0; l < L; ++l)
          for (int t = 0; t < T; ++t)
            for (int j = 0; j < K; ++j)
              if (p.routing[std::size_t(l)].experts[std::size_t(t) * K + j] !=
                  g.routing[std::size_t(l)].experts[std::size_t(t) * K + j])
                use[std::size_t(t)] = false;
        const auto agreeing = std::count(use.begin(), use.end(), true);
        INFO("tokens with identical routing on CPU and GPU: " << agreeing << " of " << T);
        CHECK(agreeing * 10 >= T * 9);
        const double e_cpu = moe_rel_error(g.hidden, p.hidden, h, H, use);
        INFO("rel error vs cpu " << e_cpu);
        CHECK(e_cpu < (mode == ActivationMode::exact ? kExactTol : kQ8CpuTol));
      }
    }
  }
}

}  // namespace

TEST_CASE("cuda: backend availability is stated and never a fallback") {
  std::string why;
  auto e = make_cuda_engine(&why);
  if (e) {
    CHECK(e->name() == "cuda");
  } else {
    INFO("no device: " << why);
    CHECK(!why.empty());
  }
}

TEST_CASE("cuda: parity small shapes T = 1 5..9 33 100") {
  auto gpu = cuda_engine_or_skip();
  Case c;
  c.tokens = {1, 5, 6, 7, 8, 9, 33, 100};
  check_case(*gpu, c);
}

TEST_CASE("cuda: parity hidden 768 (not a power of two) with mixed types Q6_K/Q8_0/Q4_K") {
  auto gpu = cuda_engine_or_skip();
  Case c;
  c.spec.hidden = 768;
  c.spec.n_experts = 6;
  c.spec.top_k = 3;
  c.spec.ffn = 512;
  c.spec.gate = quant::Type::Q6_K;
  c.spec.up = quant::Type::Q8_0;
  c.spec.down = quant::Type::Q4_K;
  c.spec.seed = 2;
  c.tokens = {1, 8, 37};
  check_case(*gpu, c);
}

TEST_CASE("cuda: parity with an expert that gets every token and one that gets none") {
  auto gpu = cuda_engine_or_skip();
  Case c;
  c.spec.hidden = 512;
  c.spec.skewed = true;
  c.spec.seed = 3;
  c.offset = 3.f;
  c.tokens = {64, 6};
  // The premise: expert 0 in every token's selection, expert E-1 in none.
  auto om = make_model(c.spec);
  gpu->load(om->model);
  const auto h = hidden_states(64, c.spec.hidden, 99, c.offset);
  ForwardOptions opt;
  opt.mode = ActivationMode::q8;
  const auto g = gpu->forward(0, 1, h.data(), 64, opt);
  for (int t = 0; t < 64; ++t) {
    const auto* ex = &g.routing[0].experts[std::size_t(t) * 2];
    CHECK((ex[0] == 0 || ex[1] == 0));
    CHECK((ex[0] != 7 && ex[1] != 7));
  }
  check_case(*gpu, c);
}

TEST_CASE("cuda: parity E = k = 1 (dense SwiGLU)") {
  auto gpu = cuda_engine_or_skip();
  Case c;
  c.spec.n_experts = 1;
  c.spec.top_k = 1;
  c.spec.seed = 4;
  c.tokens = {1, 20};
  check_case(*gpu, c);
}

TEST_CASE("cuda: parity three layers in one graph") {
  auto gpu = cuda_engine_or_skip();
  Case c;
  c.spec.layers = 3;
  c.spec.seed = 5;
  c.tokens = {1, 12};
  check_case(*gpu, c);
}

TEST_CASE("cuda: parity qwen3-30b-a3b expert shapes (hidden 2048 ffn 768 E 16 k 8)") {
  auto gpu = cuda_engine_or_skip();
  Case c;
  c.spec.hidden = 2048;
  c.spec.ffn = 768;
  c.spec.n_experts = 16;
  c.spec.top_k = 8;
  c.spec.seed = 6;
  c.spec.pool_rows = 96;
  c.tokens = {1, 8, 40};
  check_case(*gpu, c);
}
