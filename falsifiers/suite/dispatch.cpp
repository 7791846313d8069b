// moe-expert-dispatch-v1: FALSIFY-MOE-DISPATCH-001..003. How tokens reach experts must not
// matter: expert order (with the router rows), batch composition, and the output shape.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "engine/quant/types.hpp"
#include "falsifiers/framework/metrics.hpp"
#include "falsifiers/framework/property.hpp"
#include "falsifiers/suite/common/engines.hpp"
#include "falsifiers/suite/common/owned_model.hpp"

namespace pv::falsify::suite {
namespace {

using engine::ActivationMode;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

rc::Gen<ActivationMode> gen_mode() { return rc::gen::element(ActivationMode::exact, ActivationMode::q8); }

// Expert e of the permuted model is expert perm[e] of the original, router row included.
OwnedModel permuted(const OwnedModel& src, const std::vector<int>& perm) {
  OwnedModel m;
  m.model = src.model;
  m.floats = src.floats;
  m.bytes = src.bytes;
  const auto& c = src.model.config;
  for (std::size_t l = 0; l < m.model.layers.size(); ++l) {
    auto& L = m.model.layers[l];
    const auto& S = src.model.layers[l];
    std::vector<float>& router = m.floats[2 * l + 1];
    for (int e = 0; e < c.n_experts; ++e)
      std::memcpy(&router[std::size_t(e) * c.hidden], S.router + std::size_t(perm[e]) * c.hidden, sizeof(float) * c.hidden);
    L.ffn_norm = m.floats[2 * l].data();
    L.router = router.data();
    engine::ExpertTensor* dst[] = {&L.gate, &L.up, &L.down};
    const engine::ExpertTensor* from[] = {&S.gate, &S.up, &S.down};
    for (int i = 0; i < 3; ++i) {
      auto& bytes = m.bytes[3 * l + i];
      for (int e = 0; e < c.n_experts; ++e)
        std::memcpy(bytes.data() + from[i]->expert_bytes() * e, from[i]->expert(perm[e]), from[i]->expert_bytes());
      dst[i]->data = bytes.data();
    }
  }
  return m;
}

void dispatch_001(Context& ctx) {
  auto eng = engine_for(ctx);
  PropertyOptions opt;
  opt.cases = ctx.int_param("cases", 20);
  const int tokens = ctx.int_param("tokens", 8);
  property(ctx, "permuting experts with their router rows", [&](Probe& p) {
    ModelSpec spec;
    spec.shape = *gen_shape(ShapeBounds{2, 32, 1, tokens, 32});
    spec.shape.tokens = tokens;
    spec.seed = *rc::gen::arbitrary<std::uint64_t>();
    const ActivationMode mode = *gen_mode();
    std::vector<int> perm(spec.shape.n_experts);
    std::iota(perm.begin(), perm.end(), 0);
    Rng rng(spec.seed ^ 0xABCDu);
    for (std::size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[rng.next() % i]);
    OwnedModel a = make_model(spec);
    OwnedModel b = permuted(a, perm);
    auto h = make_input(InputKind::random, rng, tokens, spec.shape.hidden);
    p.describe(describe_config(a.model.config, tokens) + " mode=" + engine::to_string(mode));
    eng->load(a.model);
    auto ra = forward_layer(*eng, 0, h, tokens, mode);
    eng->load(b.model);
    auto rb = forward_layer(*eng, 0, h, tokens, mode);
    if (ra.hidden.size() != rb.hidden.size() || ra.hidden.empty()) {
      p.measure("max_rel_error", kNaN);
      return;
    }
    p.measure("max_rel_error", parity(rb.hidden, ra.hidden, tokens).max_rel_error);
  }, opt);
}

void dispatch_002(Context& ctx) {
  auto eng = engine_for(ctx);
  PropertyOptions opt;
  opt.cases = ctx.int_param("cases", 10);
  const int max_tokens = ctx.int_param("max_tokens", 32);
  property(ctx, "a token's output does not depend on its batch", [&](Probe& p) {
    ModelSpec spec;
    spec.shape = *gen_shape(ShapeBounds{2, 64, 1, max_tokens, 8});
    spec.seed = *rc::gen::arbitrary<std::uint64_t>();
    const ActivationMode mode = *gen_mode();
    const int T = spec.shape.tokens;
    // A sub-batch: some of the tokens, in another order.
    std::vector<int> pick = *rc::gen::unique<std::vector<int>>(rc::gen::inRange(0, T));
    if (pick.empty()) pick.push_back(T - 1);
    OwnedModel m = make_model(spec);
    Rng rng(spec.seed + 7);
    auto h = make_input(InputKind::random, rng, T, spec.shape.hidden);
    const int d = spec.shape.hidden;
    std::vector<float> hs(pick.size() * d);
    for (std::size_t i = 0; i < pick.size(); ++i) std::copy_n(&h[std::size_t(pick[i]) * d], d, &hs[i * d]);
    p.describe(describe_config(m.model.config, T) + fmt::format(" mode={} sub-batch of {}", engine::to_string(mode), pick.size()));
    eng->load(m.model);
    auto full = forward_layer(*eng, 0, h, T, mode);
    auto sub = forward_layer(*eng, 0, hs, static_cast<int>(pick.size()), mode);
    if (full.hidden.size() != h.size() || sub.hidden.size() != hs.size()) {
      p.measure("max_abs_diff", kNaN);
      return;
    }
    double worst = 0;
    for (std::size_t i = 0; i < pick.size(); ++i)
      for (int c = 0; c < d; ++c) {
        const double diff = std::fabs(double(sub.hidden[i * d + c]) - full.hidden[std::size_t(pick[i]) * d + c]);
        if (!(diff <= worst)) {
          worst = std::isnan(diff) ? kNaN : diff;
          p.describe(fmt::format("token {} column {}: {} alone vs {} in the full batch", pick[i], c,
                                 sub.hidden[i * d + c], full.hidden[std::size_t(pick[i]) * d + c]));
        }
      }
    p.measure("max_abs_diff", worst);
  }, opt);
}

// Finite weights (random and adversarial blocks: zero, subnormal scales, all-max quants) and
// finite inputs up to 1e4 give a finite output of T x hidden values. Blocks with the largest
// f16 scale are left to FALSIFY-QK-FINITE-001: through three chained matrices their values
// (up to 65504 * 63 * 15 = 6.2e7 each) can exceed f32 legitimately.
void dispatch_003(Context& ctx) {
  auto eng = engine_for(ctx);
  PropertyOptions opt;
  opt.cases = ctx.int_param("cases", 20);
  const int tokens = ctx.int_param("tokens", 16);
  property(ctx, "output length and finiteness", [&](Probe& p) {
    ModelSpec spec;
    spec.shape = *gen_shape(ShapeBounds{2, 16, 1, tokens, 16});
    spec.seed = *rc::gen::arbitrary<std::uint64_t>();
    spec.blocks = *rc::gen::element(BlockKind::random, BlockKind::zero, BlockKind::tiny_scale, BlockKind::all_max);
    const InputKind input = *gen_input_kind();
    const ActivationMode mode = *gen_mode();
    OwnedModel m = make_model(spec);
    Rng rng(spec.seed + 3);
    auto h = make_input(input, rng, spec.shape.tokens, spec.shape.hidden);
    p.describe(describe_config(m.model.config, spec.shape.tokens) + fmt::format(" blocks={} input={} mode={}",
               to_string(spec.blocks), to_string(input), engine::to_string(mode)));
    eng->load(m.model);
    auto r = forward_layer(*eng, 0, h, spec.shape.tokens, mode);
    double bad = std::fabs(double(r.hidden.size()) - double(h.size()));  // missing or extra values
    if (bad > 0) p.describe(fmt::format("output has {} values, expected {}", r.hidden.size(), h.size()));
    for (float v : r.hidden) bad += !std::isfinite(v);
    p.measure("non_finite_outputs", bad);
  }, opt);
}

PV_FALSIFIER({"FALSIFY-MOE-DISPATCH-001", "property", {"engine/cpu", "engine/cuda", "engine/moe"}, &dispatch_001});
PV_FALSIFIER({"FALSIFY-MOE-DISPATCH-002", "property", {"engine/cpu", "engine/cuda", "engine/moe"}, &dispatch_002});
PV_FALSIFIER({"FALSIFY-MOE-DISPATCH-003", "property", {"engine/cpu", "engine/cuda", "engine/moe", "engine/quant"}, &dispatch_003});

}  // namespace
}  // namespace pv::falsify::suite
