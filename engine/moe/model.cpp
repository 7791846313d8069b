// MoeModel byte accounting and the structural checks every engine runs before load().
#include "engine/moe/model.hpp"

#include <stdexcept>
#include <string>

namespace pv::engine {

std::size_t MoeModel::expert_bytes() const {
  std::size_t total = 0;
  for (const MoeLayer& l : layers)
    total += l.gate.total_bytes() + l.up.total_bytes() + l.down.total_bytes();
  return total;
}

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& msg) {
  throw std::invalid_argument(what + ": " + msg);
}

bool is_weight_type(quant::Type t) {
  // Anything the engines can dequantise; Q8_K is an activation format, never a weight.
  return t != quant::Type::Q8_K;
}

void check_expert(const ExpertTensor& t, const std::string& fallback, int E, int rows, int cols) {
  const std::string n = t.name.empty() ? fallback : t.name;
  if (t.data == nullptr) fail(n, "data pointer is null");
  if (!is_weight_type(t.type)) fail(n, std::string("type ") + quant::name(t.type) + " is not a weight type");
  if (t.n_experts != E)
    fail(n, "has " + std::to_string(t.n_experts) + " experts, config says " + std::to_string(E));
  if (t.rows != rows || t.cols != cols)
    fail(n, "shape [" + std::to_string(t.rows) + ", " + std::to_string(t.cols) + "] per expert, expected [" +
                std::to_string(rows) + ", " + std::to_string(cols) + "]");
  const int bv = quant::info(t.type).block_values;
  if (cols % bv != 0)
    fail(n, std::to_string(cols) + " columns is not a multiple of the " + quant::name(t.type) +
                " block size " + std::to_string(bv));
}

}  // namespace

void check_model(const MoeModel& m) {
  const MoeConfig& c = m.config;
  if (c.hidden <= 0 || c.hidden % quant::QK_K != 0)
    fail("config", "hidden = " + std::to_string(c.hidden) + " is not a positive multiple of 256");
  if (c.expert_ffn <= 0 || c.expert_ffn % quant::QK_K != 0)
    fail("config", "expert_ffn = " + std::to_string(c.expert_ffn) + " is not a positive multiple of 256");
  if (c.n_experts <= 0) fail("config", "n_experts = " + std::to_string(c.n_experts) + " must be positive");
  if (c.top_k < 1 || c.top_k > c.n_experts)
    fail("config", "top_k = " + std::to_string(c.top_k) + " is outside [1, n_experts = " +
                       std::to_string(c.n_experts) + "]");
  if (!(c.rms_eps > 0)) fail("config", "rms_eps = " + std::to_string(c.rms_eps) + " must be > 0");
  if (m.layers.empty()) fail("model", "has no layers");
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const MoeLayer& l = m.layers[i];
    const std::string blk = "blk." + std::to_string(i) + ".";
    if (l.ffn_norm == nullptr) fail(blk + "ffn_norm.weight", "data pointer is null");
    if (l.router == nullptr) fail(blk + "ffn_gate_inp.weight", "data pointer is null");
    check_expert(l.gate, blk + "ffn_gate_exps.weight", c.n_experts, c.expert_ffn, c.hidden);
    check_expert(l.up, blk + "ffn_up_exps.weight", c.n_experts, c.expert_ffn, c.hidden);
    check_expert(l.down, blk + "ffn_down_exps.weight", c.n_experts, c.hidden, c.expert_ffn);
  }
}

}  // namespace pv::engine
