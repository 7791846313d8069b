#include <catch2/catch.hpp>
#include <cmath>

#include "falsifiers/framework/falsifier.hpp"
#include "falsifiers/framework/generators.hpp"
#include "falsifiers/framework/metrics.hpp"

using namespace pv::falsify;

TEST_CASE("Context: check records against the contract, unknown metric is an error") {
  Context c;
  c.id = "X";
  c.thresholds["cosine_min"] = Limit{">=", 0.99, ""};
  CHECK(c.check("cosine_min", 0.995));
  CHECK_FALSE(c.check("cosine_min", 0.98));
  CHECK(c.any_failed());
  CHECK(c.outcome() == Outcome::FAIL);
  CHECK(c.summary().find("cosine_min = 0.98, contract requires >= 0.99") != std::string::npos);
  CHECK_THROWS_AS(c.check("nmse", 0), FalsifierError);
  c.record("topk_agreement", 0.5);
  CHECK(c.measurements.back().gated == false);
  Context only_records;
  only_records.record("x", 1);
  CHECK(only_records.outcome() == Outcome::ERROR);  // nothing gated: cannot pass
  c.parameters["cases"] = 12;
  CHECK(c.int_param("cases", 5) == 12);
  CHECK(c.int_param("absent", 5) == 5);
  CHECK_THROWS_AS(c.param("absent"), FalsifierError);
  c.parameters["bad"] = 1.5;
  CHECK_THROWS_AS(c.int_param("bad", 1), FalsifierError);
}

TEST_CASE("parity metrics on known vectors") {
  std::vector<float> a = {1, 0, 0, 0, 2, 0};
  std::vector<double> r = {1, 0, 0, 0, 2, 0};
  auto s = parity(a, r, 2, 1);
  CHECK(s.cosine == Approx(1));
  CHECK(s.cosine_min == Approx(1));
  CHECK(s.nmse == 0);
  CHECK(s.max_rel_error == 0);
  CHECK(s.topk_agreement == 1);
  a = {0, 1, 0, 0, 2, 0};  // first row rotated 90 degrees
  s = parity(a, r, 2, 1);
  CHECK(s.cosine_min == Approx(0).margin(1e-12));
  CHECK(s.topk_agreement == Approx(0.5));
  CHECK(s.nmse == Approx(2.0 / 5.0));
  CHECK(s.max_rel_error == Approx(0.5));  // |1| over max |r| = 2
  a[0] = NAN;
  s = parity(a, r, 2, 1);
  CHECK(s.non_finite == 1);
  CHECK(std::isnan(s.cosine_min));
  CHECK_THROWS_AS(parity(std::vector<float>{1}, r, 2), FalsifierError);
  CHECK(expert_set_agreement({1, 2, 3, 4}, {2, 1, 3, 5}, 2) == Approx(0.5));
}

TEST_CASE("worst_of keeps the worse statistic, NaN wins") {
  ParityStats a, b;
  a.cosine_min = 0.9;
  b.cosine_min = 0.8;
  a.nmse = 1e-3;
  b.nmse = 1e-4;
  auto w = worst_of(a, b);
  CHECK(w.cosine_min == 0.8);
  CHECK(w.nmse == 1e-3);
  b.max_rel_error = NAN;
  CHECK(std::isnan(worst_of(a, b).max_rel_error));
}

TEST_CASE("generators stay within their bounds") {
  ShapeBounds b{2, 256, 1, 4, 256};
  REQUIRE(rc::check("shapes", [&] {
    auto s = *gen_shape(b);
    RC_ASSERT(s.hidden % 256 == 0);
    RC_ASSERT(s.hidden <= 512);
    RC_ASSERT(s.n_experts >= 1);
    RC_ASSERT(s.n_experts <= 256);
    RC_ASSERT(s.top_k >= 1);
    RC_ASSERT(s.top_k <= s.n_experts);
    RC_ASSERT(s.tokens >= 1);
  }));
  Rng rng(1);
  pv::engine::quant::BlockQ4K q{};
  fill_q4k(BlockKind::huge_scale, rng, q);
  CHECK(q.d == 0x7BFF);
  fill_q4k(BlockKind::zero, rng, q);
  CHECK(q.d == 0);
  fill_q4k(BlockKind::all_max, rng, q);
  CHECK(q.qs[0] == 0xFF);
  for (int i = 0; i < 100; ++i) {
    const auto bits = scale_bits(BlockKind::tiny_scale, rng);
    CHECK(bits >= 1);
    CHECK(bits < 0x400);  // subnormal f16
  }
  auto x = make_input(InputKind::zeros, rng, 2, 256);
  CHECK(std::all_of(x.begin(), x.end(), [](float v) { return v == 0; }));
}
