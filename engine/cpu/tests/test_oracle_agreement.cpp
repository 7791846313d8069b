// The CPU engine against the f64 oracle on small random models, both activation modes.
//
// Tolerances (relative L2 error of the MoE part, see compare.hpp):
//  exact: the engine's weights are the oracle's values rounded once to f32 (relative 2^-24),
//   and each dot product of n <= 512 terms sums in f32. With rounding errors behaving like
//   independent random variables the relative error of a dot is about u sqrt(n) times
//   sum|w x| / |sum w x| ~ sqrt(n), i.e. ~ n u = 512 * 6e-8 = 3e-5 (Higham 2nd ed. ch. 3).
//   gate/up errors pass through silu * up and into down, roughly adding: < 1e-4. We allow 1e-4.
//  q8: activations rounded to 8 bits per 256-value block, |error| <= max|x| / 254 per value;
//   for Gaussian-like x (max ~ 3 sigma) that is ~0.7% of sigma RMS per quantisation, twice
//   (x and act): ~1-2% relative. We allow 5%, and check the mode is not secretly exact (> 1e-4).
#include <catch2/catch.hpp>

#include <cstdio>

#include "engine/cpu/cpu_engine.hpp"
#include "engine/cpu/tests/compare.hpp"
#include "engine/cpu/tests/test_model.hpp"
#include "engine/reference/oracle.hpp"

using namespace pv::engine;
using testing::make_test_model;
using testing::TestModelSpec;

namespace {

struct Case {
  quant::Type gate, up, down;
};

void check_against_oracle(const TestModelSpec& spec, const testing::OwnedModel* om, const std::vector<float>& h,
                          const reference::OracleResult& o, int T, ActivationMode mode, double tol,
                          double min_err, quant::Isa isa) {
  cpu::CpuEngine eng({isa});
  eng.load(om->model);
  ForwardOptions opt;
  opt.mode = mode;
  opt.capture_routing = true;
  const int layers = int(o.routing.size());
  const ForwardResult r = eng.forward(0, layers, h.data(), T, opt);
  const double err = testing::moe_rel_error(r.hidden, o.hidden, h);
  INFO("seed " << spec.seed << " types " << quant::name(spec.gate) << "/" << quant::name(spec.up) << "/"
                << quant::name(spec.down) << " mode " << to_string(mode) << " isa " << quant::to_string(isa)
                << " rel err " << err << "; reproduce: test_engine_cpu \"CPU engine agrees with the f64 oracle\"");
  CHECK(r.mode == mode);
  CHECK(err < tol);
  CHECK(err > min_err);
  // Routing: same experts wherever the oracle's top-k margin is clear of f32 rounding.
  REQUIRE(r.routing.size() == std::size_t(layers));
  for (int l = 0; l < layers; ++l)
    for (int t = 0; t < T; ++t) {
      if (o.routing[l].margin[t] < 1e-5) continue;
      for (int j = 0; j < spec.top_k; ++j) {
        const std::size_t i = std::size_t(t) * spec.top_k + j;
        CHECK(r.routing[l].experts[i] == o.routing[l].experts[i]);
        CHECK(std::abs(r.routing[l].weights[i] - o.routing[l].weights[i]) < 1e-5);
      }
    }
}

}  // namespace

TEST_CASE("CPU engine agrees with the f64 oracle") {
  using quant::Type;
  const Case cases[] = {{Type::Q4_K, Type::Q4_K, Type::Q6_K}, {Type::Q6_K, Type::Q6_K, Type::Q4_K},
                        {Type::Q8_0, Type::F16, Type::BF16}, {Type::F32, Type::Q4_K, Type::Q8_0}};
  std::uint64_t seed = 11;
  for (const Case& c : cases) {
    TestModelSpec s;
    s.hidden = 512;
    s.expert_ffn = 256;
    s.n_experts = 8;
    s.top_k = 3;
    s.layers = 2;
    s.gate = c.gate;
    s.up = c.up;
    s.down = c.down;
    s.seed = seed++;
    std::printf("oracle agreement: seed %llu\n", static_cast<unsigned long long>(s.seed));
    const auto om = make_test_model(s);
    const int T = 5;
    const auto h = testing::random_hidden(T, s.hidden, s.seed + 100);
    const auto o = reference::oracle_forward(om->model, 0, s.layers, h.data(), T);
    check_against_oracle(s, om.get(), h, o, T, ActivationMode::exact, 1e-4, 0.0, quant::best_isa());
    check_against_oracle(s, om.get(), h, o, T, ActivationMode::exact, 1e-4, 0.0, quant::Isa::scalar);
    // q8 on one layer: its perturbation of a layer's output may legitimately flip a near tie
    // in the next layer's routing, which no activation tolerance could absorb.
    const auto o1 = reference::oracle_forward(om->model, 0, 1, h.data(), T);
    check_against_oracle(s, om.get(), h, o1, T, ActivationMode::q8, 5e-2, 1e-4, quant::best_isa());
  }
}
