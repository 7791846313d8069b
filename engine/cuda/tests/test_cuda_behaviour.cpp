// CUDA engine behaviour: determinism, batch independence, router edge cases, memory, errors.
#include <catch2/catch.hpp>

#include <cstring>

#include "engine/cuda/tests/fixture.hpp"
#include "engine/moe/fault.hpp"

using namespace pv::engine;
using namespace pv::engine::cuda_test;

namespace {
bool bitwise_equal(const float* a, const float* b, std::size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }
}  // namespace

TEST_CASE("cuda: bitwise identical output over repeated runs (decode and grouped paths)") {
  auto gpu = cuda_engine_or_skip();
  Spec s;
  s.layers = 2;
  auto om = make_model(s);
  gpu->load(om->model);
  for (int T : {3, 45}) {
    for (ActivationMode mode : {ActivationMode::exact, ActivationMode::q8}) {
      INFO("T=" << T << " mode=" << to_string(mode));
      const auto h = hidden_states(T, s.hidden, 11);
      ForwardOptions opt;
      opt.mode = mode;
      const auto first = gpu->forward(0, 2, h.data(), T, opt);
      for (int run = 0; run < 5; ++run) {
        const auto again = gpu->forward(0, 2, h.data(), T, opt);
        REQUIRE(bitwise_equal(first.hidden.data(), again.hidden.data(), first.hidden.size()));
      }
    }
  }
}

TEST_CASE("cuda: a token's output does not depend on the rest of its batch") {
  auto gpu = cuda_engine_or_skip();
  Spec s;
  auto om = make_model(s);
  gpu->load(om->model);
  const int H = s.hidden;
  const auto a = hidden_states(40, H, 21);
  auto b = hidden_states(40, H, 22);
  std::copy(a.begin(), a.begin() + 20 * H, b.begin());  // b shares its first 20 tokens with a
  SECTION("exact mode: alone (T = 1) and inside a batch of 40") {
    ForwardOptions opt;
    const auto batch = gpu->forward(0, 1, a.data(), 40, opt);
    for (int t : {0, 7, 39}) {
      const auto alone = gpu->forward(0, 1, a.data() + std::size_t(t) * H, 1, opt);
      INFO("token " << t);
      CHECK(bitwise_equal(alone.hidden.data(), batch.hidden.data() + std::size_t(t) * H, std::size_t(H)));
    }
  }
  SECTION("q8 mode, grouped path: the same 20 tokens with different companions") {
    ForwardOptions opt;
    opt.mode = ActivationMode::q8;
    const auto ra = gpu->forward(0, 1, a.data(), 40, opt);
    const auto rb = gpu->forward(0, 1, b.data(), 40, opt);
    CHECK(bitwise_equal(ra.hidden.data(), rb.hidden.data(), std::size_t(20) * H));
  }
  SECTION("q8 mode, decode path: T = 1 and T = 8") {
    ForwardOptions opt;
    opt.mode = ActivationMode::q8;
    const auto r8 = gpu->forward(0, 1, a.data(), 8, opt);
    const auto r1 = gpu->forward(0, 1, a.data() + 3 * H, 1, opt);
    CHECK(bitwise_equal(r1.hidden.data(), r8.hidden.data() + 3 * H, std::size_t(H)));
  }
}

TEST_CASE("cuda: zero router gives experts 0..k-1 with weight 1/k (ties go to the lower index)") {
  auto gpu = cuda_engine_or_skip();
  Spec s;
  s.router_scale = 0.f;
  s.n_experts = 8;
  s.top_k = 3;
  auto om = make_model(s);
  gpu->load(om->model);
  for (int T : {1, 17}) {
    const auto h = hidden_states(T, s.hidden, 31);
    for (ActivationMode mode : {ActivationMode::exact, ActivationMode::q8}) {
      ForwardOptions opt;
      opt.mode = mode;
      const auto r = gpu->forward(0, 1, h.data(), T, opt);
      REQUIRE(r.routing.size() == 1);
      const auto& R = r.routing[0];
      for (int t = 0; t < T; ++t) {
        for (int e = 0; e < s.n_experts; ++e) CHECK(R.probs[std::size_t(t) * 8 + e] == 1.0f / 8.0f);
        for (int j = 0; j < 3; ++j) {
          CHECK(R.experts[std::size_t(t) * 3 + j] == j);
          CHECK(R.weights[std::size_t(t) * 3 + j] == Approx(1.0 / 3.0).epsilon(1e-6));
        }
      }
    }
  }
}

TEST_CASE("cuda: a NaN token still gets k distinct experts (NaN ranks after every number, then by index)") {
  auto gpu = cuda_engine_or_skip();
  Spec s;
  s.n_experts = 8;
  s.top_k = 3;
  auto om = make_model(s);
  gpu->load(om->model);
  for (int T : {1, 5, 17}) {  // the fused stack, and the per-layer router
    auto h = hidden_states(T, s.hidden, 37);
    h[0] = std::nanf("");  // token 0: its norm, every logit and every probability are NaN
    ForwardOptions opt;
    opt.mode = ActivationMode::q8;
    const auto r = gpu->forward(0, 1, h.data(), T, opt);
    const auto& R = r.routing.at(0);
    for (int j = 0; j < 3; ++j) CHECK(R.experts[std::size_t(j)] == j);
    for (int t = 1; t < T; ++t) {
      const std::int32_t* ex = R.experts.data() + std::size_t(t) * 3;
      CHECK((ex[0] != ex[1] && ex[0] != ex[2] && ex[1] != ex[2]));
      for (int j = 0; j < 3; ++j) CHECK((ex[j] >= 0 && ex[j] < s.n_experts));
    }
  }
}

TEST_CASE("cuda: expert weights live on the device in quantised form byte for byte") {
  auto gpu = cuda_engine_or_skip();
  Spec s;
  s.layers = 2;
  s.down = quant::Type::Q8_0;
  auto om = make_model(s);
  gpu->load(om->model);
  CHECK(gpu->device_expert_bytes() == om->model.expert_bytes());
}

TEST_CASE("cuda: bad calls and unsupported types fail with a clear message") {
  auto gpu = cuda_engine_or_skip();
  const std::vector<float> h(256, 1.f);
  ForwardOptions opt;
  CHECK_THROWS_WITH(gpu->forward(0, 1, h.data(), 1, opt), Catch::Contains("before load"));
  Spec s;
  s.down = quant::Type::F32;
  auto bad = make_model(s);
  CHECK_THROWS_WITH(gpu->load(bad->model), Catch::Contains("blk.0.ffn_down_exps.weight") && Catch::Contains("F32"));
  Spec ok;
  auto om = make_model(ok);
  gpu->load(om->model);
  CHECK_THROWS_WITH(gpu->forward(0, 2, h.data(), 1, opt), Catch::Contains("outside the model's 1 layers"));
  CHECK_THROWS_WITH(gpu->forward(0, 1, h.data(), 0, opt), Catch::Contains("tokens"));
  CHECK(gpu->device_forward_ms(0, 1, 1, opt, 3) > 0.0);
}

TEST_CASE("cuda: the planted reduction race (fault-injection builds only)") {
  if (active_fault() != Fault::cuda_reduction_race) {
    std::fprintf(stderr, "SKIPPED (not passed): run a PV_FAULT_INJECTION build with PV_FAULT=cuda_reduction_race\n");
    std::exit(kSkipCode);
  }
  // The faulty router drops a barrier; under compute-sanitizer racecheck this reports a
  // hazard, and without it the output may change from run to run. Here: it still runs.
  auto gpu = cuda_engine_or_skip();
  Spec s;
  auto om = make_model(s);
  gpu->load(om->model);
  const auto h = hidden_states(64, s.hidden, 41);
  const auto r = gpu->forward(0, 1, h.data(), 64, ForwardOptions{});
  CHECK(r.hidden.size() == h.size());
}
