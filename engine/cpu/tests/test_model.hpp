#pragma once
// Small MoE models built in memory for the tests: random weights quantised with engine/quant,
// owned by the returned object (the MoeModel views point into it).
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/moe/model.hpp"
#include "engine/quant/quantize.hpp"
#include "engine/synth/rng.hpp"

namespace pv::engine::testing {

struct TestModelSpec {
  int hidden = 256, n_experts = 8, top_k = 2, expert_ffn = 256, layers = 1;
  quant::Type gate = quant::Type::Q4_K, up = quant::Type::Q4_K, down = quant::Type::Q6_K;
  std::uint64_t seed = 1;
  float router_scale = 1.0f;  // 0: an all-zero router (every expert equally likely)
};

struct OwnedModel {
  MoeModel model;
  std::vector<std::vector<float>> floats;            // norms and routers
  std::vector<std::vector<std::uint8_t>> bytes;      // expert tensors
};

inline ExpertTensor make_experts(OwnedModel& om, synth::Rng& rng, const std::string& name, quant::Type t,
                                 int E, int rows, int cols) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(cols));  // keeps activations O(1)
  std::vector<float> row(static_cast<std::size_t>(cols));
  const std::size_t rb = quant::row_bytes(t, cols);
  om.bytes.emplace_back(rb * static_cast<std::size_t>(rows) * static_cast<std::size_t>(E));
  std::uint8_t* p = om.bytes.back().data();
  for (int r = 0; r < rows * E; ++r) {
    for (float& v : row) v = rng.gauss() * scale;
    quant::quantize_row(t, row.data(), p + rb * static_cast<std::size_t>(r), cols);
  }
  ExpertTensor et;
  et.name = name;
  et.type = t;
  et.data = p;
  et.n_experts = E;
  et.rows = rows;
  et.cols = cols;
  return et;
}

inline std::unique_ptr<OwnedModel> make_test_model(const TestModelSpec& s) {
  auto om = std::make_unique<OwnedModel>();
  om->model.config = MoeConfig{s.hidden, s.n_experts, s.top_k, s.expert_ffn, 1e-6f};
  om->floats.reserve(static_cast<std::size_t>(2 * s.layers));
  om->bytes.reserve(static_cast<std::size_t>(3 * s.layers));
  synth::Rng rng(s.seed);
  for (int l = 0; l < s.layers; ++l) {
    const std::string pre = "blk." + std::to_string(l) + ".";
    MoeLayer L;
    om->floats.emplace_back(static_cast<std::size_t>(s.hidden));
    for (float& v : om->floats.back()) v = 1.0f + 0.1f * rng.gauss();
    L.ffn_norm = om->floats.back().data();
    om->floats.emplace_back(static_cast<std::size_t>(s.hidden) * s.n_experts);
    for (float& v : om->floats.back()) v = s.router_scale * rng.gauss() / std::sqrt(static_cast<float>(s.hidden));
    L.router = om->floats.back().data();
    L.gate = make_experts(*om, rng, pre + "ffn_gate_exps.weight", s.gate, s.n_experts, s.expert_ffn, s.hidden);
    L.up = make_experts(*om, rng, pre + "ffn_up_exps.weight", s.up, s.n_experts, s.expert_ffn, s.hidden);
    L.down = make_experts(*om, rng, pre + "ffn_down_exps.weight", s.down, s.n_experts, s.hidden, s.expert_ffn);
    om->model.layers.push_back(L);
  }
  return om;
}

inline std::vector<float> random_hidden(int tokens, int hidden, std::uint64_t seed) {
  synth::Rng rng(seed);
  std::vector<float> h(static_cast<std::size_t>(tokens) * hidden);
  for (float& v : h) v = rng.gauss();
  return h;
}

}  // namespace pv::engine::testing
