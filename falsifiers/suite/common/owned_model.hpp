#pragma once
// MoE models built in memory for property falsifiers: the model's views point into buffers
// this struct owns. Weights are random quantised blocks with scales chosen so activations stay
// in a realistic range (values of order 0.01-0.1, like trained weights), optionally mixed with
// adversarial blocks.
#include <cstdint>
#include <vector>

#include "engine/moe/model.hpp"
#include "falsifiers/framework/generators.hpp"

namespace pv::falsify::suite {

struct OwnedModel {
  engine::MoeModel model;
  std::vector<std::vector<float>> floats;           // norms, routers
  std::vector<std::vector<std::uint8_t>> bytes;     // expert tensors
  OwnedModel() = default;
  OwnedModel(const OwnedModel&) = delete;
  OwnedModel& operator=(const OwnedModel&) = delete;
  OwnedModel(OwnedModel&&) = default;
  OwnedModel& operator=(OwnedModel&&) = default;
};

struct ModelSpec {
  MoeShape shape;
  engine::quant::Type gate = engine::quant::Type::Q4_K, up = engine::quant::Type::Q4_K,
                      down = engine::quant::Type::Q6_K;
  BlockKind blocks = BlockKind::random;  // random mixes in 1 adversarial block in 8
  bool adversarial_mix = false;          // false: random blocks only
  int layers = 1;
  std::uint64_t seed = 1;
  double router_scale = 1.0;             // router entries N(0, 1) * scale / sqrt(hidden)
};

OwnedModel make_model(const ModelSpec& spec);

// Expert tensor bytes for `n_experts` experts of [rows, cols] of `type`.
std::vector<std::uint8_t> random_expert_bytes(engine::quant::Type type, int n_experts, int rows, int cols,
                                              BlockKind kind, bool adversarial_mix, Rng& rng);

}  // namespace pv::falsify::suite
