#pragma once
// Comparing an engine with the f64 oracle on the run's model (synthetic or real).
#include <string>

#include "engine/moe/engine.hpp"
#include "falsifiers/framework/falsifier.hpp"
#include "falsifiers/framework/metrics.hpp"

namespace pv::falsify::suite {

struct OracleComparison {
  ParityStats worst;           // over every case
  int cases = 0, near_ties = 0;
  std::string worst_case;      // description of the case with the smallest cosine_min
};

// `cases` random inputs of `tokens` tokens, each through one random layer of the model, in
// `mode`, compared with engine/reference's oracle. Where the oracle's k-th and (k+1)-th
// probabilities differ by less than `tie_margin` the f32 engine may legitimately pick the other
// expert; for those tokens only, the oracle is made to use the engine's experts.
OracleComparison compare_with_oracle(Context& ctx, engine::MoeEngine& eng, const engine::MoeModel& model,
                                     engine::ActivationMode mode, int cases, int tokens, double tie_margin);

}  // namespace pv::falsify::suite
