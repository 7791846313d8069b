// The engine on a model read back from GGUF bytes (the path `pv forward` takes) gives the same
// bits as on the in-memory model it was written from.
#include <catch2/catch.hpp>

#include <cstring>

#include "engine/cpu/cpu_engine.hpp"
#include "engine/cpu/tests/test_model.hpp"
#include "engine/gguf/qwen3moe.hpp"
#include "engine/gguf/reader.hpp"
#include "engine/gguf/writer.hpp"

using namespace pv::engine;

TEST_CASE("forward on a GGUF-mapped model equals forward on the in-memory model") {
  testing::TestModelSpec s;
  s.layers = 2;
  s.seed = 61;
  auto om = testing::make_test_model(s);
  const MoeModel& m = om->model;
  gguf::Writer w;
  namespace K = gguf::qwen3moe_keys;
  w.set(K::arch, gguf::Value::of_string("qwen3moe"));
  w.set(K::block_count, gguf::Value::of_u32(2));
  w.set(K::hidden, gguf::Value::of_u32(std::uint32_t(s.hidden)));
  w.set(K::n_experts, gguf::Value::of_u32(std::uint32_t(s.n_experts)));
  w.set(K::top_k, gguf::Value::of_u32(std::uint32_t(s.top_k)));
  w.set(K::expert_ffn, gguf::Value::of_u32(std::uint32_t(s.expert_ffn)));
  w.set(K::rms_eps, gguf::Value::of_f32(m.config.rms_eps));
  auto U = [](int v) { return std::uint64_t(v); };
  auto bytes_of = [](const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    return std::vector<std::uint8_t>(b, b + n);
  };
  for (int l = 0; l < 2; ++l) {
    const MoeLayer& L = m.layers[std::size_t(l)];
    w.add_tensor({gguf::layer_tensor_name(l, "ffn_norm"), {U(s.hidden)}, quant::Type::F32},
                 bytes_of(L.ffn_norm, 4 * std::size_t(s.hidden)));
    w.add_tensor({gguf::layer_tensor_name(l, "ffn_gate_inp"), {U(s.hidden), U(s.n_experts)}, quant::Type::F32},
                 bytes_of(L.router, 4 * std::size_t(s.hidden) * s.n_experts));
    for (const ExpertTensor* t : {&L.gate, &L.up, &L.down})
      w.add_tensor({t->name, {U(t->cols), U(t->rows), U(t->n_experts)}, t->type}, bytes_of(t->data, t->total_bytes()));
  }
  const gguf::File f = gguf::File::from_bytes(w.to_bytes(), "test.gguf");
  const MoeModel fm = gguf::qwen3moe_model(f);
  const auto h = testing::random_hidden(6, s.hidden, 62);
  cpu::CpuEngine a, b;
  a.load(m);
  b.load(fm);
  for (ActivationMode mode : {ActivationMode::exact, ActivationMode::q8}) {
    ForwardOptions opt;
    opt.mode = mode;
    const ForwardResult ra = a.forward(0, 2, h.data(), 6, opt), rb = b.forward(0, 2, h.data(), 6, opt);
    CHECK(std::memcmp(ra.hidden.data(), rb.hidden.data(), ra.hidden.size() * 4) == 0);
  }
}
