#include "falsifiers/suite/common/owned_model.hpp"

#include <cmath>
#include <string>

#include "engine/quant/types.hpp"

namespace pv::falsify::suite {

namespace q = engine::quant;

std::vector<std::uint8_t> random_expert_bytes(q::Type type, int n_experts, int rows, int cols, BlockKind kind,
                                              bool adversarial_mix, Rng& rng) {
  const std::size_t row_bytes = q::row_bytes(type, cols);
  std::vector<std::uint8_t> b(row_bytes * rows * n_experts);
  const std::size_t n_blocks = b.size() / q::info(type).block_bytes;
  // Scales 2^-14..2^-11: a Q4_K value d*sc*q - dmin*m is then at most ~0.5 and typically
  // ~0.05, so a 256..512-long dot product with unit activations stays of order 1.
  fill_blocks(type, kind, rng, b.data(), n_blocks, -14, -11, adversarial_mix);
  return b;
}

namespace {
engine::ExpertTensor tensor(const char* what, int layer, q::Type t, const std::vector<std::uint8_t>& b, int E,
                            int rows, int cols) {
  engine::ExpertTensor x;
  x.name = "blk." + std::to_string(layer) + "." + what + ".weight";
  x.type = t;
  x.data = b.data();
  x.n_experts = E;
  x.rows = rows;
  x.cols = cols;
  return x;
}
}  // namespace

OwnedModel make_model(const ModelSpec& s) {
  OwnedModel m;
  Rng rng(s.seed);
  const auto& c = s.shape;
  m.model.config = engine::MoeConfig{c.hidden, c.n_experts, c.top_k, c.expert_ffn, 1e-6f};
  m.floats.reserve(2 * s.layers);
  m.bytes.reserve(3 * s.layers);
  for (int l = 0; l < s.layers; ++l) {
    std::vector<float> norm(c.hidden), router(static_cast<std::size_t>(c.n_experts) * c.hidden);
    for (auto& v : norm) v = 1.0f + 0.1f * rng.normal();
    const float rs = static_cast<float>(s.router_scale / std::sqrt(static_cast<double>(c.hidden)));
    for (auto& v : router) v = rng.normal() * rs;
    m.floats.push_back(std::move(norm));
    m.floats.push_back(std::move(router));
    m.bytes.push_back(random_expert_bytes(s.gate, c.n_experts, c.expert_ffn, c.hidden, s.blocks, s.adversarial_mix, rng));
    m.bytes.push_back(random_expert_bytes(s.up, c.n_experts, c.expert_ffn, c.hidden, s.blocks, s.adversarial_mix, rng));
    m.bytes.push_back(random_expert_bytes(s.down, c.n_experts, c.hidden, c.expert_ffn, s.blocks, s.adversarial_mix, rng));
    engine::MoeLayer L;
    L.ffn_norm = m.floats[2 * l].data();
    L.router = m.floats[2 * l + 1].data();
    L.gate = tensor("ffn_gate_exps", l, s.gate, m.bytes[3 * l], c.n_experts, c.expert_ffn, c.hidden);
    L.up = tensor("ffn_up_exps", l, s.up, m.bytes[3 * l + 1], c.n_experts, c.expert_ffn, c.hidden);
    L.down = tensor("ffn_down_exps", l, s.down, m.bytes[3 * l + 2], c.n_experts, c.hidden, c.expert_ffn);
    m.model.layers.push_back(L);
  }
  return m;
}

}  // namespace pv::falsify::suite
