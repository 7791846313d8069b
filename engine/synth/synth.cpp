#include "engine/synth/synth.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <thread>

#include "engine/gguf/qwen3moe.hpp"
#include "engine/gguf/writer.hpp"
#include "engine/quant/quantize.hpp"
#include "engine/synth/rng.hpp"

namespace pv::engine::synth {

using quant::Type;

Preset preset(const std::string& name) {
  if (name == "tiny") return {"tiny", {256, 8, 2, 256, 1e-6f}, 2};
  if (name == "qwen3-30b-a3b") return {"qwen3-30b-a3b", {2048, 128, 8, 768, 1e-6f}, 48};
  throw std::invalid_argument("unknown preset '" + name + "' (known: tiny, qwen3-30b-a3b)");
}

std::vector<std::string> preset_names() { return {"tiny", "qwen3-30b-a3b"}; }

namespace {
Type type_word(const std::string& w, const std::string& spec) {
  if (w == "q4k") return Type::Q4_K;
  if (w == "q6k") return Type::Q6_K;
  throw std::invalid_argument("quant mix '" + spec + "': '" + w + "' is not q4k or q6k");
}
}  // namespace

std::vector<LayerTypes> parse_quant_mix(const std::string& spec, int n) {
  std::vector<LayerTypes> out;
  for (int l = 0; l < n; ++l) {
    if (spec == "q4k") out.push_back({Type::Q4_K, Type::Q4_K, Type::Q4_K});
    else if (spec == "q6k") out.push_back({Type::Q6_K, Type::Q6_K, Type::Q6_K});
    else if (spec == "llama-q4km") {
      // llama.cpp's use_more_bits(i, n) for ffn_down in Q4_K_M.
      const bool more = l < n / 8 || l >= 7 * n / 8 || (l - n / 8) % 3 == 2;
      out.push_back({Type::Q4_K, Type::Q4_K, more ? Type::Q6_K : Type::Q4_K});
    } else {
      std::vector<std::string> parts(1);
      for (char c : spec) {
        if (c == ',') parts.emplace_back();
        else parts.back().push_back(c);
      }
      if (parts.size() != 3)
        throw std::invalid_argument("quant mix '" + spec + "': expected q4k, q6k, llama-q4km or GATE,UP,DOWN");
      out.push_back({type_word(parts[0], spec), type_word(parts[1], spec), type_word(parts[2], spec)});
    }
  }
  return out;
}

namespace {

std::uint64_t stream_seed(std::uint64_t seed, int layer, const std::string& kind, int expert) {
  std::uint64_t h = seed ^ 0x5EEDull;
  for (char c : kind) h = h * 1099511628211ull + static_cast<unsigned char>(c);
  h = h * 1099511628211ull + static_cast<std::uint64_t>(layer);
  return h * 1099511628211ull + static_cast<std::uint64_t>(expert);
}

// All rows of one expert matrix (or of the router / norm), generated in order from one stream.
void generate(const Options& opt, const MoeConfig& c, int layer, const std::string& kind, int expert,
              int rows, int cols, const std::function<void(int, const float*)>& row_out) {
  Rng r(stream_seed(opt.seed, layer, kind, expert));
  std::vector<float> x(static_cast<std::size_t>(cols));
  for (int row = 0; row < rows; ++row) {
    if (kind == "norm") {
      for (float& v : x) v = (1.0f + 0.25f * r.gauss()) * (r.below(64) == 0 ? 4.0f : 1.0f);
    } else if (kind == "router") {
      const float s = (0.6f + 0.8f * r.uniform()) * 2.0f / std::sqrt(static_cast<float>(c.hidden));
      for (float& v : x) v = s * r.gauss();
    } else {
      const float u = r.uniform();
      const float s = (0.5f + 1.5f * u * u) / std::sqrt(static_cast<float>(cols));
      for (float& v : x) v = s * r.gauss() * (r.below(512) == 0 ? 8.0f : 1.0f);
    }
    row_out(row, x.data());
  }
}

}  // namespace

std::vector<float> weight_row(const Options& opt, int layer, const std::string& kind, int expert, int row) {
  const MoeConfig c = preset(opt.preset).config;
  int rows = 1, cols = c.hidden;
  if (kind == "router") rows = c.n_experts;
  if (kind == "gate" || kind == "up") rows = c.expert_ffn;
  if (kind == "down") { rows = c.hidden; cols = c.expert_ffn; }
  std::vector<float> out;
  generate(opt, c, layer, kind, expert, rows, cols, [&](int r, const float* x) {
    if (r == row) out.assign(x, x + cols);
  });
  return out;
}

std::uint64_t write_model(const Options& opt, const std::string& path) {
  const Preset p = preset(opt.preset);
  const MoeConfig& c = p.config;
  const int layers = opt.layers > 0 ? opt.layers : p.default_layers;
  const std::vector<LayerTypes> types = parse_quant_mix(opt.quant_mix, layers);
  namespace k = gguf::qwen3moe_keys;
  using gguf::Value;
  gguf::Writer w;
  w.set(k::arch, Value::of_string("qwen3moe"));
  w.set("general.name", Value::of_string("pv synthetic " + p.name));
  w.set(k::block_count, Value::of_u32(static_cast<std::uint32_t>(layers)));
  w.set(k::hidden, Value::of_u32(static_cast<std::uint32_t>(c.hidden)));
  w.set(k::n_experts, Value::of_u32(static_cast<std::uint32_t>(c.n_experts)));
  w.set(k::top_k, Value::of_u32(static_cast<std::uint32_t>(c.top_k)));
  w.set(k::expert_ffn, Value::of_u32(static_cast<std::uint32_t>(c.expert_ffn)));
  w.set(k::rms_eps, Value::of_f32(c.rms_eps));
  w.set("pv.synth.preset", Value::of_string(p.name));
  w.set("pv.synth.seed", Value::of_u64(opt.seed));
  w.set("pv.synth.quant_mix", Value::of_string(opt.quant_mix));
  const auto U = [](int v) { return static_cast<std::uint64_t>(v); };
  struct Job { int layer; std::string kind; };
  std::vector<Job> jobs;
  for (int l = 0; l < layers; ++l) {
    w.add_tensor({gguf::layer_tensor_name(l, "ffn_norm"), {U(c.hidden)}, Type::F32});
    w.add_tensor({gguf::layer_tensor_name(l, "ffn_gate_inp"), {U(c.hidden), U(c.n_experts)}, Type::F32});
    w.add_tensor({gguf::layer_tensor_name(l, "ffn_gate_exps"), {U(c.hidden), U(c.expert_ffn), U(c.n_experts)}, types[l].gate});
    w.add_tensor({gguf::layer_tensor_name(l, "ffn_up_exps"), {U(c.hidden), U(c.expert_ffn), U(c.n_experts)}, types[l].up});
    w.add_tensor({gguf::layer_tensor_name(l, "ffn_down_exps"), {U(c.expert_ffn), U(c.hidden), U(c.n_experts)}, types[l].down});
    for (const char* kind : {"norm", "router", "gate", "up", "down"}) jobs.push_back({l, kind});
  }
  const int threads = opt.threads > 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  w.write(path, [&](std::size_t i, const gguf::TensorSpec& spec, std::uint8_t* out, std::size_t bytes) {
    const Job& j = jobs[i];
    if (opt.progress)
      std::fprintf(stderr, "pv synth: [%zu/%zu] %s (%s, %.1f MB)\n", i + 1, jobs.size(), spec.name.c_str(),
                   quant::name(spec.type), static_cast<double>(bytes) / 1e6);
    if (j.kind == "norm" || j.kind == "router") {
      const int rows = j.kind == "norm" ? 1 : c.n_experts;
      generate(opt, c, j.layer, j.kind, 0, rows, c.hidden, [&](int r, const float* x) {
        quant::quantize_row(Type::F32, x, out + static_cast<std::size_t>(r) * c.hidden * 4, c.hidden);
      });
      return;
    }
    const int rows = static_cast<int>(spec.dims[1]), cols = static_cast<int>(spec.dims[0]);
    const std::size_t rb = quant::row_bytes(spec.type, cols), eb = rb * static_cast<std::size_t>(rows);
    std::atomic<int> next{0};
    auto worker = [&] {  // experts are independent streams: any thread order, same bytes
      for (int e = next++; e < c.n_experts; e = next++)
        generate(opt, c, j.layer, j.kind, e, rows, cols, [&](int r, const float* x) {
          quant::quantize_row(spec.type, x, out + eb * static_cast<std::size_t>(e) + rb * static_cast<std::size_t>(r), cols);
        });
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::min(threads, c.n_experts); ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
  });
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error(path + ": written but cannot be reopened");
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fclose(f);
  return static_cast<std::uint64_t>(size);
}

}  // namespace pv::engine::synth
