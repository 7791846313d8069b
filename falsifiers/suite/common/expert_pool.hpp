#pragma once
// Router properties need models with up to 256 experts for hundreds of cases. The expert
// weights do not affect routing, so one pool of random expert bytes, filled once per
// falsifier run, backs every case; each case draws its own router rows, norm and input.
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/moe/model.hpp"
#include "falsifiers/framework/generators.hpp"

namespace pv::falsify::suite {

class ExpertPool {
 public:
  // Enough bytes for any shape within the bounds (Q4_K gate/up and Q6_K down).
  ExpertPool(const ShapeBounds& bounds, std::uint64_t seed);
  const std::uint8_t* gate() const { return gate_.data(); }
  const std::uint8_t* up() const { return up_.data(); }
  const std::uint8_t* down() const { return down_.data(); }

 private:
  std::vector<std::uint8_t> gate_, up_, down_;
};

// One case's model: views of the pool plus its own norm and router.
struct CaseModel {
  std::vector<float> norm, router;  // [hidden], [E, hidden]
  engine::MoeModel model;
};

enum class RouterKind { random, zero, ties };
const char* to_string(RouterKind k);
void showValue(RouterKind k, std::ostream& os);

// ties: rows are copies of 1..3 distinct rows, so many experts have bit-identical logits.
CaseModel case_model(const ExpertPool& pool, const MoeShape& s, RouterKind router, Rng& rng);

// f64 routing computed here from the model's f32 norm, router and the input, independent of
// every engine: probs [T, E] = softmax over all E of W_r RMSNorm(h).
std::vector<double> reference_probs(const engine::MoeModel& m, const std::vector<float>& h, int tokens);

}  // namespace pv::falsify::suite
