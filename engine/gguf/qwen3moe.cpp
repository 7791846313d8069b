#include "engine/gguf/qwen3moe.hpp"

#include <stdexcept>

namespace pv::engine::gguf {
namespace {

using quant::Type;

std::int64_t int_key(const File& f, const char* key) {
  const Value* v = f.find(key);
  if (v == nullptr) fail(Errc::missing_key, f.source(), std::string("missing metadata key '") + key + "'");
  std::int64_t out = 0;
  if (!v->to_int64(&out))
    fail(Errc::wrong_key_type, f.source(), std::string("key '") + key + "' is " + to_string(v->type) + ", expected an integer");
  return out;
}

int positive_int_key(const File& f, const char* key) {
  const std::int64_t v = int_key(f, key);
  if (v <= 0 || v > (1 << 24))
    fail(Errc::wrong_key_type, f.source(), std::string("key '") + key + "' = " + std::to_string(v) + " is out of range");
  return static_cast<int>(v);
}

std::string dims_str(const std::vector<std::uint64_t>& d) {
  std::string s = "[";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

const TensorInfo& tensor(const File& f, const std::string& name, const std::vector<std::uint64_t>& dims) {
  const TensorInfo* t = f.find_tensor(name);
  if (t == nullptr) fail(Errc::missing_tensor, f.source(), "missing tensor '" + name + "'");
  if (t->dims != dims)
    fail(Errc::tensor_shape, f.source(), "tensor '" + name + "' has GGUF shape " + dims_str(t->dims) +
                                             ", the config needs " + dims_str(dims) + " (fastest-first)");
  return *t;
}

const float* f32_tensor(const File& f, const std::string& name, const std::vector<std::uint64_t>& dims) {
  const TensorInfo& t = tensor(f, name, dims);
  if (t.type != Type::F32)
    fail(Errc::tensor_type, f.source(), "tensor '" + name + "' is " + quant::name(t.type) + ", expected F32");
  if (reinterpret_cast<std::uintptr_t>(f.data(t)) % alignof(float) != 0)
    fail(Errc::misaligned_tensor, f.source(), "tensor '" + name + "' data is not 4-byte aligned");
  return reinterpret_cast<const float*>(f.data(t));
}

ExpertTensor experts(const File& f, const std::string& name, int E, int rows, int cols) {
  const auto U = [](int v) { return static_cast<std::uint64_t>(v); };
  const TensorInfo& t = tensor(f, name, {U(cols), U(rows), U(E)});
  if (t.type != Type::Q4_K && t.type != Type::Q6_K)
    fail(Errc::tensor_type, f.source(), "tensor '" + name + "' is " + quant::name(t.type) + ", expected Q4_K or Q6_K");
  ExpertTensor e;
  e.name = name;
  e.type = t.type;
  e.data = f.data(t);
  e.n_experts = E;
  e.rows = rows;
  e.cols = cols;
  return e;
}

}  // namespace

std::string layer_tensor_name(int layer, const char* what) {
  return "blk." + std::to_string(layer) + "." + what + ".weight";
}

int qwen3moe_layer_count(const File& f) { return positive_int_key(f, qwen3moe_keys::block_count); }

MoeConfig qwen3moe_config(const File& f) {
  const Value* arch = f.find(qwen3moe_keys::arch);
  if (arch == nullptr) fail(Errc::missing_key, f.source(), "missing metadata key 'general.architecture'");
  if (arch->type != ValueType::string || arch->s != "qwen3moe")
    fail(Errc::wrong_key_type, f.source(), "general.architecture is '" + (arch->type == ValueType::string ? arch->s : "?") +
                                               "', expected 'qwen3moe'");
  MoeConfig c;
  c.hidden = positive_int_key(f, qwen3moe_keys::hidden);
  c.n_experts = positive_int_key(f, qwen3moe_keys::n_experts);
  c.top_k = positive_int_key(f, qwen3moe_keys::top_k);
  c.expert_ffn = positive_int_key(f, qwen3moe_keys::expert_ffn);
  const Value* eps = f.find(qwen3moe_keys::rms_eps);
  if (eps == nullptr) fail(Errc::missing_key, f.source(), std::string("missing metadata key '") + qwen3moe_keys::rms_eps + "'");
  if (!eps->is_float() || !(eps->f > 0))
    fail(Errc::wrong_key_type, f.source(), std::string("key '") + qwen3moe_keys::rms_eps + "' must be a positive float");
  c.rms_eps = static_cast<float>(eps->f);
  if (c.hidden % quant::QK_K != 0 || c.expert_ffn % quant::QK_K != 0 || c.top_k > c.n_experts)
    fail(Errc::wrong_key_type, f.source(), "config hidden=" + std::to_string(c.hidden) + " expert_ffn=" +
                                               std::to_string(c.expert_ffn) + " (multiples of 256 needed), top_k=" +
                                               std::to_string(c.top_k) + " of " + std::to_string(c.n_experts) + " experts");
  return c;
}

MoeModel qwen3moe_model(const File& f) {
  MoeModel m;
  m.config = qwen3moe_config(f);
  const MoeConfig& c = m.config;
  const int layers = qwen3moe_layer_count(f);
  const auto U = [](int v) { return static_cast<std::uint64_t>(v); };
  for (int l = 0; l < layers; ++l) {
    MoeLayer L;
    L.ffn_norm = f32_tensor(f, layer_tensor_name(l, "ffn_norm"), {U(c.hidden)});
    L.router = f32_tensor(f, layer_tensor_name(l, "ffn_gate_inp"), {U(c.hidden), U(c.n_experts)});
    L.gate = experts(f, layer_tensor_name(l, "ffn_gate_exps"), c.n_experts, c.expert_ffn, c.hidden);
    L.up = experts(f, layer_tensor_name(l, "ffn_up_exps"), c.n_experts, c.expert_ffn, c.hidden);
    L.down = experts(f, layer_tensor_name(l, "ffn_down_exps"), c.n_experts, c.hidden, c.expert_ffn);
    m.layers.push_back(std::move(L));
  }
  check_model(m);
  return m;
}

}  // namespace pv::engine::gguf
