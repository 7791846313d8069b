// The Qwen3-MoE view: a correct file gives the config and zero-copy layer views; each wrong
// key, shape or type gives an error naming it.
#include <catch2/catch.hpp>

#include <functional>

#include "engine/gguf/qwen3moe.hpp"
#include "engine/gguf/writer.hpp"

using namespace pv::engine::gguf;
using pv::engine::quant::Type;
namespace k = qwen3moe_keys;

namespace {
constexpr int kHidden = 256, kE = 4, kK = 2, kFfn = 512, kLayers = 2;

struct Mutation {
  std::function<void(Writer&)> extra_keys;
  std::function<void(int layer, const char* what, TensorSpec&)> tensor;
  const char* skip_key = nullptr;
  const char* skip_tensor = nullptr;
};

File make(const Mutation& m = {}) {
  Writer w;
  auto key = [&](const char* name, Value v) { if (!m.skip_key || std::string(m.skip_key) != name) w.set(name, std::move(v)); };
  key(k::arch, Value::of_string("qwen3moe"));
  key(k::block_count, Value::of_u32(kLayers));
  key(k::hidden, Value::of_u32(kHidden));
  key(k::n_experts, Value::of_u32(kE));
  key(k::top_k, Value::of_u32(kK));
  key(k::expert_ffn, Value::of_u32(kFfn));
  key(k::rms_eps, Value::of_f32(1e-6f));
  if (m.extra_keys) m.extra_keys(w);
  const auto U = [](int v) { return static_cast<std::uint64_t>(v); };
  for (int l = 0; l < kLayers; ++l) {
    const std::pair<const char*, TensorSpec> specs[] = {
        {"ffn_norm", {"", {U(kHidden)}, Type::F32}},
        {"ffn_gate_inp", {"", {U(kHidden), U(kE)}, Type::F32}},
        {"ffn_gate_exps", {"", {U(kHidden), U(kFfn), U(kE)}, Type::Q4_K}},
        {"ffn_up_exps", {"", {U(kHidden), U(kFfn), U(kE)}, Type::Q4_K}},
        {"ffn_down_exps", {"", {U(kFfn), U(kHidden), U(kE)}, l == 0 ? Type::Q6_K : Type::Q4_K}},
    };
    for (auto [what, spec] : specs) {
      spec.name = layer_tensor_name(l, what);
      if (m.skip_tensor && spec.name == m.skip_tensor) continue;
      if (m.tensor) m.tensor(l, what, spec);
      w.add_tensor(spec);
    }
  }
  return File::from_bytes(w.to_bytes([](std::size_t, const TensorSpec&, std::uint8_t* o, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<std::uint8_t>(i);
  }), "model.gguf");
}

void expect_error(const Mutation& m, Errc code, const std::string& names) {
  const File f = make(m);
  try {
    qwen3moe_model(f);
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(std::string(to_string(e.code())) == to_string(code));
    CHECK_THAT(e.what(), Catch::Contains(names));
  }
}
}  // namespace

TEST_CASE("a well-formed Qwen3-MoE file gives its config and layer views") {
  const File f = make();
  const pv::engine::MoeModel m = qwen3moe_model(f);
  CHECK(m.config.hidden == kHidden);
  CHECK(m.config.n_experts == kE);
  CHECK(m.config.top_k == kK);
  CHECK(m.config.expert_ffn == kFfn);
  CHECK(m.config.rms_eps == 1e-6f);
  REQUIRE(m.layers.size() == kLayers);
  CHECK(m.layers[0].down.type == Type::Q6_K);
  CHECK(m.layers[1].down.type == Type::Q4_K);
  CHECK(m.layers[1].gate.rows == kFfn);
  CHECK(m.layers[1].down.rows == kHidden);
  CHECK(m.layers[1].up.data == f.data(*f.find_tensor("blk.1.ffn_up_exps.weight")));  // zero-copy
  const std::size_t q4 = 512 * 144, q6 = 256 * 2 * 210;  // bytes per expert matrix
  CHECK(m.expert_bytes() == kE * (q4 * 2 + q6) + kE * q4 * 3);
}

TEST_CASE("missing keys and tensors are named") {
  expect_error({.skip_key = k::top_k}, Errc::missing_key, "qwen3moe.expert_used_count");
  expect_error({.skip_key = k::rms_eps}, Errc::missing_key, k::rms_eps);
  expect_error({.skip_tensor = "blk.1.ffn_up_exps.weight"}, Errc::missing_tensor, "blk.1.ffn_up_exps.weight");
  expect_error({.extra_keys = {}, .tensor = {}, .skip_key = k::arch}, Errc::missing_key, "general.architecture");
}

TEST_CASE("wrong shapes and types are named with the mismatch") {
  expect_error({.tensor = [](int l, const char* what, TensorSpec& s) {
                 if (l == 1 && std::string(what) == "ffn_gate_inp") s.dims = {kE, kHidden};  // transposed router
               }},
               Errc::tensor_shape, "blk.1.ffn_gate_inp.weight' has GGUF shape [4, 256], the config needs [256, 4]");
  expect_error({.tensor = [](int l, const char* what, TensorSpec& s) {
                 if (l == 0 && std::string(what) == "ffn_down_exps") s.dims = {kHidden, kFfn, kE};
               }},
               Errc::tensor_shape, "blk.0.ffn_down_exps.weight");
  expect_error({.tensor = [](int l, const char* what, TensorSpec& s) {
                 if (l == 1 && std::string(what) == "ffn_up_exps") s.type = Type::Q8_0;
               }},
               Errc::tensor_type, "blk.1.ffn_up_exps.weight' is Q8_0, expected Q4_K or Q6_K");
  expect_error({.tensor = [](int, const char* what, TensorSpec& s) {
                 if (std::string(what) == "ffn_norm") s.type = Type::F16;
               }},
               Errc::tensor_type, "blk.0.ffn_norm.weight' is F16, expected F32");
}

TEST_CASE("bad config values are rejected") {
  Mutation m;
  m.skip_key = k::top_k;
  m.extra_keys = [](Writer& w) { w.set(k::top_k, Value::of_u32(kE + 1)); };
  expect_error(m, Errc::wrong_key_type, "top_k=5 of 4 experts");
  m.extra_keys = [](Writer& w) { w.set(k::top_k, Value::of_string("two")); };
  expect_error(m, Errc::wrong_key_type, "qwen3moe.expert_used_count' is string");
}
