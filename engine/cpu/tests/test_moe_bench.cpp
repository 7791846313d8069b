// The benchmark's accounting: distinct experts and expert bytes per layer follow the routing
// (an all-zero router sends every token to experts 0..k-1, so exactly k experts are read at any
// T), and the timings are positive and consistent with tokens/s and GB/s.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/bench/moe_bench.hpp"
#include "engine/cpu/cpu_engine.hpp"
#include "engine/cpu/tests/test_model.hpp"

using namespace pv::engine;

TEST_CASE("moe bench counts the distinct experts the routing selected") {
  testing::TestModelSpec s;
  s.router_scale = 0.0f;
  s.n_experts = 8;
  s.top_k = 3;
  s.layers = 2;
  s.gate = s.up = s.down = quant::Type::Q8_0;
  auto om = testing::make_test_model(s);
  cpu::CpuEngine eng;
  bench::MoeBenchOptions opt;
  opt.tokens = {1, 5};
  opt.min_seconds = 0.0;
  opt.min_iterations = 2;
  const bench::MoeBenchReport r = bench::run_moe_bench(eng, om->model, opt);
  REQUIRE(r.points.size() == 4);  // 2 modes x 2 token counts
  const double per_expert = double(om->model.layers[0].gate.expert_bytes() * 3);
  for (const auto& p : r.points) {
    INFO("mode " << to_string(p.mode) << " T " << p.tokens);
    CHECK(p.layers == 2);
    CHECK(p.iterations >= 2);
    CHECK(p.distinct_experts == 3.0);
    CHECK(p.expert_bytes_per_layer == 3 * per_expert);
    CHECK(p.seconds_per_layer > 0);
    CHECK(p.tokens_per_second == Approx(p.tokens / p.seconds_per_layer));
    CHECK(p.gb_per_second == Approx(p.expert_bytes_per_layer / p.seconds_per_layer / 1e9));
  }
  CHECK_THAT(bench::format_report(r), Catch::Contains("q8") && Catch::Contains("exact"));
}

TEST_CASE("the synthetic bench model has the requested shape and routes over many experts") {
  bench::BenchModelSpec spec;
  spec.config = MoeConfig{512, 16, 4, 256, 1e-6f};
  spec.layers = 2;
  const auto bm = bench::make_bench_model(spec);
  check_model(bm->model);
  CHECK(bm->model.expert_bytes() == 2 * 16 * (2 * quant::row_bytes(quant::Type::Q4_K, 512) * 256 +
                                                quant::row_bytes(quant::Type::Q6_K, 256) * 512));
  cpu::CpuEngine eng;
  eng.load(bm->model);
  const auto h = testing::random_hidden(64, 512, 3);
  ForwardOptions fo;
  fo.mode = ActivationMode::q8;
  const ForwardResult r = eng.forward(0, 2, h.data(), 64, fo);
  CHECK(eng.last_stats().distinct_experts_last_layer >= 12);  // 64 tokens x 4 of 16 experts
  for (float v : r.hidden) REQUIRE(std::isfinite(v));
}
