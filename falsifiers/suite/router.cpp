// moe-router-v1: FALSIFY-MOE-ROUTER-001..005. Properties over random shapes (hidden a
// multiple of 256, E 1..256, k 1..E, T 1..4), inputs (random, zeros, large, tiny, constant)
// and routers (random, zero, ties), checked on the routing each engine captures.
#include <fmt/core.h>

#include <cmath>
#include <limits>
#include <memory>
#include <set>

#include "falsifiers/framework/property.hpp"
#include "falsifiers/suite/common/engines.hpp"
#include "falsifiers/suite/common/expert_pool.hpp"

namespace pv::falsify::suite {
namespace {

using engine::Routing;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ShapeBounds router_bounds() {
  ShapeBounds b;
  b.max_hidden_blocks = 2;
  b.max_experts = 256;
  b.max_ffn_blocks = 1;
  b.max_tokens = 4;
  return b;
}

// Draws one case (shown in the counterexample), runs it, returns its routing or null after
// describing why the routing itself is malformed.
struct RouterRun {
  CaseModel cm;
  std::vector<float> h;
  MoeShape shape;
  engine::ForwardResult result;
  const Routing* routing = nullptr;
};

RouterRun run_case(engine::MoeEngine& eng, const ExpertPool& pool, RouterKind router, Probe& p) {
  RouterRun r;
  r.shape = *gen_shape(router_bounds());
  const InputKind input = *gen_input_kind();
  const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
  Rng rng(seed);
  r.cm = case_model(pool, r.shape, router, rng);
  r.h = make_input(input, rng, r.shape.tokens, r.shape.hidden);
  p.describe(fmt::format("router={} input={}", to_string(router), to_string(input)));
  eng.load(r.cm.model);
  r.result = forward_layer(eng, 0, r.h, r.shape.tokens);
  const auto& s = r.shape;
  if (r.result.routing.empty()) {
    p.describe("the engine captured no routing");
    return r;
  }
  const Routing& R = r.result.routing[0];
  if (R.tokens != s.tokens || R.n_experts != s.n_experts || R.top_k != s.top_k ||
      R.probs.size() != std::size_t(s.tokens) * s.n_experts || R.experts.size() != std::size_t(s.tokens) * s.top_k ||
      R.weights.size() != R.experts.size()) {
    p.describe(fmt::format("routing has shape T={} E={} k={} ({} probs, {} experts, {} weights)", R.tokens, R.n_experts,
                           R.top_k, R.probs.size(), R.experts.size(), R.weights.size()));
    return r;
  }
  r.routing = &R;
  return r;
}

template <class CaseFn>
void router_property(Context& ctx, const std::string& name, const std::string& metric, RouterKind fixed,
                     bool vary_router, CaseFn&& check_case) {
  auto eng = engine_for(ctx);
  const ExpertPool pool(router_bounds(), ctx.seed ^ 0x5EEDu);
  PropertyOptions opt;
  opt.cases = ctx.int_param("cases", 100);
  property(ctx, name, [&](Probe& p) {
    RouterKind kind = fixed;
    if (vary_router) kind = *rc::gen::element(RouterKind::random, RouterKind::zero, RouterKind::ties);
    RouterRun r = run_case(*eng, pool, kind, p);
    p.describe(fmt::format("shape: hidden={} E={} k={} T={}", r.shape.hidden, r.shape.n_experts, r.shape.top_k,
                           r.shape.tokens));
    if (r.routing == nullptr) {
      p.measure(metric, kNaN);
      return;
    }
    p.measure(metric, check_case(r, *r.routing, p));
  }, opt);
}

// AC_ROUTER_001: the k weights of every token sum to 1 (sum taken in f64 of the f32 weights,
// so the measure sees only the engine's rounding: k divisions, each within 2^-24 relative).
void router_001(Context& ctx) {
  router_property(ctx, "top-k weights sum to 1", "max_weight_sum_error", RouterKind::random, true,
                  [](const RouterRun&, const Routing& R, Probe& p) {
                    double worst = 0;
                    for (int t = 0; t < R.tokens; ++t) {
                      double sum = 0;
                      for (int j = 0; j < R.top_k; ++j) sum += R.weights[std::size_t(t) * R.top_k + j];
                      const double err = std::isfinite(sum) ? std::fabs(sum - 1.0) : kNaN;
                      if (!(err <= worst)) p.describe(fmt::format("token {}: weights sum to {:.9g}", t, sum));
                      worst = std::isnan(err) || std::isnan(worst) ? kNaN : std::max(worst, err);
                    }
                    return worst;
                  });
}

// AC_ROUTER_002: exactly k distinct experts in [0, E), in descending probability, and no
// unselected expert more probable than a selected one.
void router_002(Context& ctx) {
  router_property(ctx, "k distinct experts in range, descending", "violations", RouterKind::random, true,
                  [](const RouterRun&, const Routing& R, Probe& p) {
                    double v = 0;
                    for (int t = 0; t < R.tokens; ++t) {
                      const float* pr = &R.probs[std::size_t(t) * R.n_experts];
                      const std::int32_t* ex = &R.experts[std::size_t(t) * R.top_k];
                      std::set<int> seen;
                      float min_sel = INFINITY;
                      for (int j = 0; j < R.top_k; ++j) {
                        const int e = ex[j];
                        if (e < 0 || e >= R.n_experts || !seen.insert(e).second) {
                          ++v;
                          p.describe(fmt::format("token {} slot {}: expert {} out of range or repeated", t, j, e));
                          continue;
                        }
                        if (j > 0 && ex[j - 1] >= 0 && ex[j - 1] < R.n_experts && pr[ex[j - 1]] < pr[e]) {
                          ++v;
                          p.describe(fmt::format("token {}: slot {} (p={}) after a less probable one", t, j, pr[e]));
                        }
                        min_sel = std::min(min_sel, pr[e]);
                      }
                      for (int e = 0; e < R.n_experts; ++e)
                        if (!seen.count(e) && pr[e] > min_sel) {
                          ++v;
                          p.describe(fmt::format("token {}: unselected expert {} has p={} > selected {}", t, e, pr[e], min_sel));
                        }
                    }
                    return v;
                  });
}

// AC_ROUTER_003: a zero router gives equal logits, hence every weight exactly 1/k.
void router_003(Context& ctx) {
  router_property(ctx, "zero router gives 1/k", "max_uniform_error", RouterKind::zero, false,
                  [](const RouterRun&, const Routing& R, Probe& p) {
                    double worst = 0;
                    for (std::size_t i = 0; i < R.weights.size(); ++i) {
                      const double err = std::fabs(R.weights[i] - 1.0 / R.top_k);
                      if (!(err <= 1e-6)) p.describe(fmt::format("weight {} = {:.9g}, 1/k = {:.9g}", i, R.weights[i], 1.0 / R.top_k));
                      worst = std::isnan(err) ? kNaN : std::max(worst, err);
                    }
                    return worst;
                  });
}

// AC_ROUTER_004: among experts of bit-identical probability the lower index is selected
// first (routers with duplicated rows make such ties; a zero router makes all E tie).
void router_004(Context& ctx) {
  router_property(ctx, "ties select the lower index", "violations", RouterKind::ties, false,
                  [](const RouterRun&, const Routing& R, Probe& p) {
                    double v = 0;
                    for (int t = 0; t < R.tokens; ++t) {
                      const float* pr = &R.probs[std::size_t(t) * R.n_experts];
                      const std::int32_t* ex = &R.experts[std::size_t(t) * R.top_k];
                      std::set<int> sel(ex, ex + R.top_k);
                      for (int j = 0; j < R.top_k; ++j) {
                        const int s = ex[j];
                        if (s < 0 || s >= R.n_experts) { ++v; continue; }
                        if (j > 0 && ex[j - 1] >= 0 && ex[j - 1] < R.n_experts && pr[ex[j - 1]] == pr[s] && ex[j - 1] > s) {
                          ++v;
                          p.describe(fmt::format("token {}: tied experts {} and {} in descending index order", t, ex[j - 1], s));
                        }
                        for (int u = 0; u < s; ++u)
                          if (!sel.count(u) && pr[u] == pr[s]) {
                            ++v;
                            p.describe(fmt::format("token {}: expert {} selected over tied lower expert {}", t, s, u));
                          }
                      }
                    }
                    return v;
                  });
}

// AC_ROUTER_005: probs are the softmax over all E (compared with an f64 softmax computed
// here), and each weight is p_i / sum of the selected p (from the engine's own probs).
void router_005(Context& ctx) {
  router_property(ctx, "probs are the softmax over all E", "max_prob_error", RouterKind::random, true,
                  [](const RouterRun& r, const Routing& R, Probe& p) {
                    const auto ref = reference_probs(r.cm.model, r.h, R.tokens);
                    double worst = 0;
                    for (std::size_t i = 0; i < ref.size(); ++i) {
                      const double err = std::fabs(R.probs[i] - ref[i]);
                      if (!(err <= worst)) {
                        if (!(err <= 1e-6)) p.describe(fmt::format("prob[{}] = {:.9g}, f64 softmax {:.9g}", i, R.probs[i], ref[i]));
                        worst = std::isnan(err) ? kNaN : err;
                      }
                    }
                    for (int t = 0; t < R.tokens && !std::isnan(worst); ++t) {
                      double sum = 0;
                      for (int j = 0; j < R.top_k; ++j) sum += R.probs[std::size_t(t) * R.n_experts + R.experts[std::size_t(t) * R.top_k + j]];
                      for (int j = 0; j < R.top_k; ++j) {
                        const double pj = R.probs[std::size_t(t) * R.n_experts + R.experts[std::size_t(t) * R.top_k + j]];
                        const double want = sum > 0 ? pj / sum : 1.0 / R.top_k;
                        const double err = std::fabs(R.weights[std::size_t(t) * R.top_k + j] - want);
                        if (!(err <= 1e-6)) p.describe(fmt::format("token {} weight {} = {:.9g}, p/sum = {:.9g}", t, j, R.weights[std::size_t(t) * R.top_k + j], want));
                        worst = std::isnan(err) ? kNaN : std::max(worst, err);
                      }
                    }
                    return worst;
                  });
}

PV_FALSIFIER({"FALSIFY-MOE-ROUTER-001", "property", {"engine/cpu", "engine/cuda", "engine/moe"}, &router_001});
PV_FALSIFIER({"FALSIFY-MOE-ROUTER-002", "property", {"engine/cpu", "engine/cuda", "engine/moe"}, &router_002});
PV_FALSIFIER({"FALSIFY-MOE-ROUTER-003", "property", {"engine/cpu", "engine/cuda", "engine/moe"}, &router_003});
PV_FALSIFIER({"FALSIFY-MOE-ROUTER-004", "property", {"engine/cpu", "engine/cuda", "engine/moe"}, &router_004});
PV_FALSIFIER({"FALSIFY-MOE-ROUTER-005", "property", {"engine/cpu", "engine/cuda", "engine/moe"}, &router_005});

}  // namespace
}  // namespace pv::falsify::suite
