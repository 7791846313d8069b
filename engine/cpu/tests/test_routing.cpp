// Routing semantics of the CPU engine: ties to the lower index, an all-zero router, k = E.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/cpu/cpu_engine.hpp"
#include "engine/cpu/routing.hpp"
#include "engine/cpu/tests/compare.hpp"
#include "engine/cpu/tests/test_model.hpp"
#include "engine/reference/oracle.hpp"

using namespace pv::engine;

TEST_CASE("top-k ties go to the lower expert index") {
  const float z[6] = {1.0f, 3.0f, 3.0f, 2.0f, 3.0f, 0.5f};
  float probs[6], w[2];
  std::int32_t ex[2];
  cpu::route_token(z, 6, 2, probs, ex, w);
  CHECK(ex[0] == 1);
  CHECK(ex[1] == 2);
  CHECK(w[0] == 0.5f);
  CHECK(w[1] == 0.5f);
  float w4[4];
  std::int32_t ex4[4];
  cpu::route_token(z, 6, 4, probs, ex4, w4);  // the three tied maxima, then the next
  CHECK(ex4[0] == 1);
  CHECK(ex4[1] == 2);
  CHECK(ex4[2] == 4);
  CHECK(ex4[3] == 3);
}

TEST_CASE("softmax is over all experts and the k weights are renormalised") {
  const float z[4] = {0.0f, 1.0f, 2.0f, -1.0f};
  float probs[4], w[2];
  std::int32_t ex[2];
  cpu::route_token(z, 4, 2, probs, ex, w);
  double s = 0;
  for (float p : probs) s += p;
  CHECK(s == Approx(1.0).epsilon(1e-6));
  CHECK(probs[2] == Approx(std::exp(2.0) / (1 + std::exp(1.0) + std::exp(2.0) + std::exp(-1.0))).epsilon(1e-6));
  CHECK(ex[0] == 2);
  CHECK(ex[1] == 1);
  CHECK(w[0] == Approx(std::exp(1.0) / (1 + std::exp(1.0))).epsilon(1e-6));
  CHECK(w[0] + w[1] == Approx(1.0f).epsilon(1e-7));
}

TEST_CASE("an all-zero router selects experts 0..k-1 with weights 1/k") {
  testing::TestModelSpec s;
  s.router_scale = 0.0f;
  s.n_experts = 8;
  s.top_k = 3;
  s.seed = 5;
  auto om = testing::make_test_model(s);
  const auto h = testing::random_hidden(4, s.hidden, 6);
  cpu::CpuEngine eng;
  eng.load(om->model);
  const ForwardResult r = eng.forward(0, 1, h.data(), 4, {});
  REQUIRE(r.routing.size() == 1);
  for (int t = 0; t < 4; ++t) {
    for (int e = 0; e < 8; ++e) CHECK(r.routing[0].probs[t * 8 + e] == 0.125f);
    for (int j = 0; j < 3; ++j) {
      CHECK(r.routing[0].experts[t * 3 + j] == j);
      CHECK(r.routing[0].weights[t * 3 + j] == Approx(1.0f / 3).epsilon(1e-7));
    }
  }
}

TEST_CASE("k = E uses every expert and matches the oracle") {
  testing::TestModelSpec s;
  s.n_experts = 4;
  s.top_k = 4;
  s.seed = 9;
  auto om = testing::make_test_model(s);
  const auto h = testing::random_hidden(3, s.hidden, 10);
  cpu::CpuEngine eng;
  eng.load(om->model);
  const ForwardResult r = eng.forward(0, 1, h.data(), 3, {});
  const auto o = reference::oracle_forward(om->model, 0, 1, h.data(), 3);
  for (int t = 0; t < 3; ++t) {
    std::vector<std::int32_t> ex(r.routing[0].experts.begin() + t * 4, r.routing[0].experts.begin() + t * 4 + 4);
    std::sort(ex.begin(), ex.end());
    CHECK(ex == std::vector<std::int32_t>{0, 1, 2, 3});
    for (int j = 0; j < 4; ++j)  // renormalising all E probabilities changes (almost) nothing
      CHECK(r.routing[0].weights[t * 4 + j] ==
            Approx(r.routing[0].probs[t * 4 + r.routing[0].experts[t * 4 + j]]).epsilon(1e-6));
  }
  CHECK(testing::moe_rel_error(r.hidden, o.hidden, h) < 1e-4);
}
