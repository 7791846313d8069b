// The oracle on a model small enough to compute by hand (F32 weights, d = 2, E = 3, k = 2, F = 1).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "engine/reference/oracle.hpp"

using namespace pv::engine;

namespace {
struct Tiny {
  float norm[2] = {1.0f, 2.0f};
  float router[6] = {1, 0, 0, 1, 1, 1};              // logits x0, x1, x0 + x1
  float gate[3 * 2] = {1, 0, 0, 1, 1, -1};           // expert e: [1, 2] row
  float up[3 * 2] = {2, 0, 0, 3, 1, 1};
  float down[3 * 2] = {1, 1, -1, 2, 0.5f, 0};        // expert e: [2, 1]
  MoeModel model;
  Tiny() {
    model.config = MoeConfig{2, 3, 2, 1, 0.0f};
    MoeLayer L;
    L.ffn_norm = norm;
    L.router = router;
    auto t = [](const char* n, const float* p, int rows, int cols) {
      ExpertTensor e;
      e.name = n;
      e.type = quant::Type::F32;
      e.data = reinterpret_cast<const std::uint8_t*>(p);
      e.n_experts = 3;
      e.rows = rows;
      e.cols = cols;
      return e;
    };
    L.gate = t("gate", gate, 1, 2);
    L.up = t("up", up, 1, 2);
    L.down = t("down", down, 2, 1);
    model.layers.push_back(L);
  }
};
double silu(double v) { return v / (1 + std::exp(-v)); }
}  // namespace

TEST_CASE("oracle matches a hand computation") {
  Tiny m;
  const float h[2] = {3.0f, 4.0f};
  const auto r = reference::oracle_forward(m.model, 0, 1, h, 1);
  // RMSNorm: rms = sqrt((9 + 16) / 2) = sqrt(12.5); x = (3, 8) / sqrt(12.5).
  const double s = std::sqrt(12.5), x0 = 3 / s, x1 = 8 / s;
  const double z[3] = {x0, x1, x0 + x1};
  const double zs = std::exp(z[0]) + std::exp(z[1]) + std::exp(z[2]);
  // Top 2: expert 2 (x0 + x1), then expert 1 (x1 > x0).
  REQUIRE(r.routing[0].experts == std::vector<std::int32_t>{2, 1});
  CHECK(r.routing[0].probs[0] == Approx(std::exp(z[0]) / zs).epsilon(1e-14));
  const double w2 = std::exp(z[2]) / (std::exp(z[2]) + std::exp(z[1])), w1 = 1 - w2;
  CHECK(r.routing[0].weights[0] == Approx(w2).epsilon(1e-14));
  CHECK(r.routing[0].margin[0] == Approx((std::exp(z[1]) - std::exp(z[0])) / zs).epsilon(1e-12));
  const double a2 = silu(x0 - x1) * (x0 + x1);  // expert 2: gate [1,-1], up [1,1]
  const double a1 = silu(x1) * (3 * x1);        // expert 1: gate [0,1], up [0,3]
  const double y0 = w2 * 0.5 * a2 + w1 * -1 * a1, y1 = w2 * 0 * a2 + w1 * 2 * a1;
  CHECK(r.hidden[0] == Approx(3 + y0).epsilon(1e-14));
  CHECK(r.hidden[1] == Approx(4 + y1).epsilon(1e-14));
}

TEST_CASE("oracle forced experts and k = E") {
  Tiny m;
  const float h[2] = {3.0f, 4.0f};
  std::vector<std::vector<std::int32_t>> forced{{0, 1}};
  reference::OracleOptions opt;
  opt.forced_experts = &forced;
  const auto r = reference::oracle_forward(m.model, 0, 1, h, 1, opt);
  CHECK(r.routing[0].experts == std::vector<std::int32_t>{0, 1});
  CHECK(r.routing[0].weights[0] + r.routing[0].weights[1] == Approx(1.0).epsilon(1e-15));
  m.model.config.top_k = 3;
  const auto all = reference::oracle_forward(m.model, 0, 1, h, 1);
  CHECK(std::isinf(all.routing[0].margin[0]));
  m.model.config.top_k = 4;
  CHECK_THROWS_WITH(reference::oracle_forward(m.model, 0, 1, h, 1), Catch::Contains("k = 4"));
}
