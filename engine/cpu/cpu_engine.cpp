// The CPU engine: checks, the layer loop, routing capture. The arithmetic is in layer.cpp.
#include "engine/cpu/cpu_engine.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/cpu/layer.hpp"
#include "engine/cpu/scratch.hpp"
#include "engine/cpu/thread_pool.hpp"

namespace pv::engine::cpu {
namespace {

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("cpu engine: " + what); }

std::string str(int v) { return std::to_string(v); }

void check_tensor(const ExpertTensor& t, int E, int rows, int cols) {
  if (t.n_experts != E)
    bad("tensor " + t.name + " has " + str(t.n_experts) + " experts, the model config says E = " + str(E));
  if (t.rows != rows || t.cols != cols)
    bad("tensor " + t.name + " is [" + str(t.rows) + ", " + str(t.cols) + "] per expert, expected [" +
        str(rows) + ", " + str(cols) + "] from the config");
  if (!cpu_supports(t.type, ActivationMode::exact))
    bad("tensor " + t.name + " has type " + quant::name(t.type) +
        ", which the CPU engine does not read (supported: F32, F16, BF16, Q8_0, Q4_K, Q6_K)");
  if (t.data == nullptr) bad("tensor " + t.name + " has no data");
  if (cols % quant::info(t.type).block_values != 0)
    bad("tensor " + t.name + ": " + str(cols) + " columns is not a multiple of the " +
        quant::name(t.type) + " block (" + str(quant::info(t.type).block_values) + ")");
}

void check_cpu_model(const MoeModel& m) {
  const MoeConfig& c = m.config;
  if (c.n_experts <= 0) bad("expert count E = " + str(c.n_experts) + " (need E >= 1)");
  if (c.top_k <= 0 || c.top_k > c.n_experts)
    bad("experts per token k = " + str(c.top_k) + " with E = " + str(c.n_experts) + " (need 1 <= k <= E)");
  if (c.hidden <= 0 || c.hidden % quant::QK_K != 0)
    bad("hidden size " + str(c.hidden) + " is not a positive multiple of 256");
  if (c.expert_ffn <= 0 || c.expert_ffn % quant::QK_K != 0)
    bad("expert_ffn " + str(c.expert_ffn) + " is not a positive multiple of 256");
  if (!(c.rms_eps >= 0.0f) || !std::isfinite(c.rms_eps)) bad("rms_eps " + std::to_string(c.rms_eps) + " is not a finite value >= 0");
  if (m.layers.empty()) bad("the model has no layers");
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const MoeLayer& L = m.layers[l];
    if (L.ffn_norm == nullptr) bad("layer " + std::to_string(l) + ": ffn_norm is missing");
    if (L.router == nullptr) bad("layer " + std::to_string(l) + ": router (ffn_gate_inp) is missing");
    check_tensor(L.gate, c.n_experts, c.expert_ffn, c.hidden);
    check_tensor(L.up, c.n_experts, c.expert_ffn, c.hidden);
    check_tensor(L.down, c.n_experts, c.hidden, c.expert_ffn);
  }
}

// Non-finite input is rejected with its position (see README.md: NaN/Inf policy).
void check_finite(const float* h, int T, int d, const std::string& what) {
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < d; ++i)
      if (!std::isfinite(h[size_t(t) * d + i]))
        throw std::domain_error("cpu engine: " + what + " token " + str(t) + ", column " + str(i) +
                                " is " + std::to_string(h[size_t(t) * d + i]) + " (NaN/Inf are rejected)");
}

}  // namespace

bool cpu_supports(quant::Type t, ActivationMode) {
  using quant::Type;
  // dot_f32 and dot_q8k of engine/quant read all of these; q8 mode uses Q8_K activations.
  return t == Type::F32 || t == Type::F16 || t == Type::BF16 || t == Type::Q8_0 ||
         t == Type::Q4_K || t == Type::Q6_K;
}

struct CpuEngine::Impl {
  CpuEngineOptions opt;
  const MoeModel* model = nullptr;
  std::unique_ptr<ThreadPool> pool;
  Scratch scratch;
};

CpuEngine::CpuEngine(CpuEngineOptions opt) : impl_(std::make_unique<Impl>()) {
  if (!quant::isa_supported(opt.isa)) bad(std::string("this CPU lacks ") + quant::to_string(opt.isa));
  impl_->opt = opt;
}
CpuEngine::~CpuEngine() = default;

void CpuEngine::load(const MoeModel& model) {
  check_cpu_model(model);
  impl_->model = &model;
}

ForwardResult CpuEngine::forward(int first, int count, const float* h, int T, const ForwardOptions& opt) {
  Impl& m = *impl_;
  if (m.model == nullptr) bad("forward() before load()");
  const MoeModel& model = *m.model;
  const MoeConfig& c = model.config;
  const int nl = static_cast<int>(model.layers.size());
  if (T <= 0) bad("empty input: " + str(T) + " tokens");
  if (h == nullptr) bad("input pointer is null");
  if (count <= 0 || first < 0 || first + count > nl)
    bad("layers [" + str(first) + ", " + str(first + count) + ") outside the model's " + str(nl) + " layers");
  if (opt.threads < 0) bad("thread count " + str(opt.threads) + " is negative");
  check_finite(h, T, c.hidden, "input");

  const int threads = opt.threads == 0 ? default_threads() : opt.threads;
  if (!m.pool || m.pool->size() != threads) m.pool = std::make_unique<ThreadPool>(threads);
  size_scratch(c, opt.mode, T, threads, m.scratch);
  Scratch& s = m.scratch;

  ForwardResult res;
  res.mode = opt.mode;
  res.backend = "cpu";
  res.hidden.resize(size_t(T) * c.hidden);
  // Ping-pong so that the last layer writes straight into the result.
  float* bufs[2] = {res.hidden.data(), s.hbuf.data()};
  const float* cur = h;
  int distinct = 0;
  for (int i = 0; i < count; ++i) {
    float* out = bufs[(count - 1 - i) % 2];
    const LayerRun run{&c, &model.layers[size_t(first + i)], first + i, opt.mode, m.opt.isa};
    distinct = run_layer(run, cur, T, out, s, *m.pool);
    check_finite(out, T, c.hidden, "layer " + str(first + i) + " produced a non-finite value at");
    if (opt.capture_routing || i == 0) {
      Routing r{T, c.n_experts, c.top_k, s.probs, s.experts, s.weights};
      res.routing.push_back(std::move(r));
    }
    cur = out;
  }
  stats_ = CpuForwardStats{s.bytes(), threads, distinct};
  return res;
}

std::unique_ptr<MoeEngine> make_cpu_engine(CpuEngineOptions opt) { return std::make_unique<CpuEngine>(opt); }

}  // namespace pv::engine::cpu
