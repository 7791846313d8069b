// Errors name what is wrong and where; nothing crashes.
#include <catch2/catch.hpp>

#include <limits>

#include "engine/cpu/cpu_engine.hpp"
#include "engine/cpu/tests/test_model.hpp"
#include "engine/reference/oracle.hpp"

using namespace pv::engine;
using Catch::Contains;

namespace {
std::string load_error(const MoeModel& m) {
  cpu::CpuEngine eng;
  try {
    eng.load(m);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("bad models are rejected with names and numbers") {
  auto om = testing::make_test_model({});
  MoeModel m = om->model;
  m.config.top_k = 0;
  CHECK_THAT(load_error(m), Contains("k = 0"));
  m.config.top_k = 9;
  CHECK_THAT(load_error(m), Contains("k = 9") && Contains("E = 8"));
  m = om->model;
  m.config.hidden = 512;
  CHECK_THAT(load_error(m), Contains("blk.0.ffn_gate_exps.weight") && Contains("512"));
  m = om->model;
  m.config.n_experts = 16;
  CHECK_THAT(load_error(m), Contains("blk.0.ffn_gate_exps.weight") && Contains("8 experts"));
  m = om->model;
  m.layers[0].down.type = quant::Type::Q8_K;
  CHECK_THAT(load_error(m), Contains("blk.0.ffn_down_exps.weight") && Contains("Q8_K"));
  m = om->model;
  m.layers[0].router = nullptr;
  CHECK_THAT(load_error(m), Contains("router"));
  m = om->model;
  m.layers.clear();
  CHECK_THAT(load_error(m), Contains("no layers"));
}

TEST_CASE("bad forward calls are rejected and NaN or Inf input names the token and column") {
  auto om = testing::make_test_model({});
  cpu::CpuEngine eng;
  CHECK_THROWS_WITH(eng.forward(0, 1, nullptr, 1, {}), Contains("before load"));
  eng.load(om->model);
  auto h = testing::random_hidden(3, 256, 1);
  CHECK_THROWS_WITH(eng.forward(0, 1, h.data(), 0, {}), Contains("empty input"));
  CHECK_THROWS_WITH(eng.forward(1, 1, h.data(), 3, {}), Contains("layers [1, 2)") && Contains("1 layers"));
  CHECK_THROWS_WITH(eng.forward(0, 0, h.data(), 3, {}), Contains("layers [0, 0)"));
  ForwardOptions neg;
  neg.threads = -1;
  CHECK_THROWS_WITH(eng.forward(0, 1, h.data(), 3, neg), Contains("thread count -1"));
  h[2 * 256 + 17] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(eng.forward(0, 1, h.data(), 3, {}), Contains("token 2, column 17"));
  h[2 * 256 + 17] = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(eng.forward(0, 1, h.data(), 3, {}), Contains("token 2, column 17"));
  CHECK_THROWS_WITH(reference::oracle_forward(om->model, 0, 1, h.data(), 3), Contains("token 2, column 17"));
  CHECK_THROWS_WITH(reference::oracle_forward(om->model, 0, 1, h.data(), 0), Contains("empty input"));
}
