#include "falsifiers/suite/common/oracle_compare.hpp"

#include <fmt/core.h>

#include "engine/reference/oracle.hpp"
#include "falsifiers/framework/generators.hpp"
#include "falsifiers/suite/common/engines.hpp"

namespace pv::falsify::suite {

OracleComparison compare_with_oracle(Context& ctx, engine::MoeEngine& eng, const engine::MoeModel& model,
                                     engine::ActivationMode mode, int cases, int tokens, double tie_margin) {
  OracleComparison out;
  Rng rng(ctx.seed ^ 0x0AC1E);
  const int layers = static_cast<int>(model.layers.size()), d = model.config.hidden, k = model.config.top_k;
  eng.load(model);
  for (int c = 0; c < cases; ++c) {
    const int layer = static_cast<int>(rng.next() % static_cast<std::uint64_t>(layers));
    // Inputs of the scale a real residual stream has (unit variance, occasional outliers).
    auto h = make_input(c % 3 == 2 ? InputKind::large : InputKind::random, rng, tokens, d);
    auto got = forward_layer(eng, layer, h, tokens, mode);
    auto ref = engine::reference::oracle_forward(model, layer, 1, h.data(), tokens);
    const auto& orc = ref.routing.at(0);
    bool forced = false;
    std::vector<std::vector<std::int32_t>> experts = {orc.experts};
    if (!got.routing.empty() && got.routing[0].experts.size() == orc.experts.size()) {
      for (int t = 0; t < tokens; ++t) {
        if (orc.margin[t] >= tie_margin) continue;
        std::copy_n(&got.routing[0].experts[std::size_t(t) * k], k, &experts[0][std::size_t(t) * k]);
        forced = true;
        ++out.near_ties;
      }
    }
    if (forced) {
      engine::reference::OracleOptions o;
      o.forced_experts = &experts;
      ref = engine::reference::oracle_forward(model, layer, 1, h.data(), tokens, o);
    }
    if (got.hidden.size() != ref.hidden.size())
      throw FalsifierError(fmt::format("{}: engine returned {} values for {} tokens x {}", ctx.id, got.hidden.size(), tokens, d));
    ParityStats s = parity(got.hidden, ref.hidden, tokens);
    if (out.cases == 0 || !(s.cosine_min >= out.worst.cosine_min))
      out.worst_case = fmt::format("case {}: layer {}, {} tokens, mode {}: cosine_min {:.9g}, max_rel_error {:.3g}, nmse {:.3g}",
                                   c, layer, tokens, engine::to_string(mode), s.cosine_min, s.max_rel_error, s.nmse);
    out.worst = out.cases == 0 ? s : worst_of(out.worst, s);
    ++out.cases;
  }
  return out;
}

}  // namespace pv::falsify::suite
