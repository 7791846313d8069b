#include "engine/bench/moe_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fmt/core.h>
#include <set>

#include "engine/quant/quantize.hpp"
#include "engine/synth/rng.hpp"

namespace pv::engine::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<float> random_tokens(int T, int d, std::uint64_t seed) {
  synth::Rng rng(seed);
  std::vector<float> h(std::size_t(T) * d);
  for (float& v : h) v = rng.gauss();
  return h;
}

// Mean over layers of the distinct experts selected and their bytes.
void count_experts(const ForwardResult& r, const MoeModel& m, int first, double* experts, double* bytes) {
  double ne = 0, nb = 0;
  for (std::size_t l = 0; l < r.routing.size(); ++l) {
    const std::set<std::int32_t> used(r.routing[l].experts.begin(), r.routing[l].experts.end());
    const MoeLayer& L = m.layers[std::size_t(first) + l];
    ne += double(used.size());
    nb += double(used.size()) * double(L.gate.expert_bytes() + L.up.expert_bytes() + L.down.expert_bytes());
  }
  *experts = ne / double(r.routing.size());
  *bytes = nb / double(r.routing.size());
}

MoeBenchPoint run_point(MoeEngine& eng, const MoeModel& m, ActivationMode mode, int T, const MoeBenchOptions& opt) {
  const int L = int(m.layers.size()), d = m.config.hidden;
  ForwardOptions fo;
  fo.mode = mode;
  fo.threads = opt.threads;
  fo.capture_routing = true;
  MoeBenchPoint p;
  p.mode = mode;
  p.tokens = T;
  p.layers = L;
  std::uint64_t seed = opt.seed * 1000003u + std::uint64_t(T);
  {  // warm-up: thread pool, scratch, first touch of the pages
    const auto h = random_tokens(T, d, seed++);
    eng.forward(0, L, h.data(), T, fo);
  }
  std::vector<double> per_layer;
  double total = 0, experts = 0, bytes = 0;
  while (total < opt.min_seconds || int(per_layer.size()) < opt.min_iterations) {
    const auto h = random_tokens(T, d, seed++);  // new tokens: new experts, nothing cached
    const auto t0 = Clock::now();
    const ForwardResult r = eng.forward(0, L, h.data(), T, fo);
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    // A device backend times its compute on the device (CUDA: graph replays between events, on
    // these tokens), leaving out the host<->device copies of h and of every layer's routing.
    double spent = s;
    if (const double ms = eng.device_forward_ms(0, L, T, fo, 3); ms >= 0) {
      s = ms * 1e-3;
      spent = 6 * s;  // 3 warm-up and 3 timed replays
    }
    total += spent;
    per_layer.push_back(s / L);
    double e = 0, b = 0;
    count_experts(r, m, 0, &e, &b);
    experts += e;
    bytes += b;
  }
  std::sort(per_layer.begin(), per_layer.end());
  p.iterations = int(per_layer.size());
  p.seconds_per_layer = per_layer[per_layer.size() / 2];
  p.tokens_per_second = T / p.seconds_per_layer;
  p.distinct_experts = experts / p.iterations;
  p.expert_bytes_per_layer = bytes / p.iterations;
  p.gb_per_second = p.expert_bytes_per_layer / p.seconds_per_layer / 1e9;
  return p;
}

}  // namespace

MoeBenchReport run_moe_bench(MoeEngine& eng, const MoeModel& m, const MoeBenchOptions& opt) {
  eng.load(m);
  MoeBenchReport r;
  r.backend = eng.name();
  r.config = m.config;
  r.layers = int(m.layers.size());
  r.model_expert_bytes = m.expert_bytes();
  for (ActivationMode mode : opt.modes)
    for (int T : opt.tokens) r.points.push_back(run_point(eng, m, mode, T, opt));
  return r;
}

std::string format_report(const MoeBenchReport& r) {
  std::string s = fmt::format(
      "backend {}: d={} E={} k={} ffn={}, {} distinct layers, {:.2f} GB of expert weights\n",
      r.backend, r.config.hidden, r.config.n_experts, r.config.top_k, r.config.expert_ffn, r.layers,
      double(r.model_expert_bytes) / 1e9);
  if (r.memory_gb_per_second > 0)
    s += fmt::format("memory bandwidth (same run, {}): {:.2f} GB/s\n", r.memory_method, r.memory_gb_per_second);
  s += fmt::format("{:<6} {:>6} {:>12} {:>12} {:>14} {:>9} {:>10} {:>8}\n", "mode", "T", "ms/layer",
                   "tok/s/layer", "tok/s 48 lay.", "experts", "GB/s", "% bw");
  for (const MoeBenchPoint& p : r.points) {
    const double pct = r.memory_gb_per_second > 0 ? 100.0 * p.gb_per_second / r.memory_gb_per_second : 0.0;
    s += fmt::format("{:<6} {:>6} {:>12.3f} {:>12.1f} {:>14.2f} {:>9.1f} {:>10.2f} {:>7.1f}%\n", to_string(p.mode),
                     p.tokens, p.seconds_per_layer * 1e3, p.tokens_per_second, p.tokens_per_second / 48.0,
                     p.distinct_experts, p.gb_per_second, pct);
  }
  return s;
}

namespace {

// `pool` distinct quantised rows of `cols` values, each row_bytes long, back to back.
std::vector<std::uint8_t> row_pool(quant::Type t, int cols, int pool, synth::Rng& rng) {
  const std::size_t rb = quant::row_bytes(t, cols);
  std::vector<std::uint8_t> out(rb * std::size_t(pool));
  std::vector<float> row(std::size_t(cols), 0.0f);
  const float scale = 1.0f / std::sqrt(float(cols));
  for (int r = 0; r < pool; ++r) {
    for (float& v : row) v = rng.gauss() * scale;
    quant::quantize_row(t, row.data(), out.data() + rb * std::size_t(r), cols);
  }
  return out;
}

ExpertTensor fill_experts(BenchModel& bm, const std::vector<std::uint8_t>& pool, int pool_rows, quant::Type t,
                          const std::string& name, int E, int rows, int cols, synth::Rng& rng) {
  const std::size_t rb = quant::row_bytes(t, cols), n = std::size_t(E) * std::size_t(rows);
  bm.bytes.push_back(std::make_unique<std::uint8_t[]>(rb * n));  // every page written below
  std::uint8_t* p = bm.bytes.back().get();
  for (std::size_t r = 0; r < n; ++r)
    std::memcpy(p + rb * r, pool.data() + rb * rng.below(std::uint32_t(pool_rows)), rb);
  ExpertTensor et;
  et.name = name;
  et.type = t;
  et.data = p;
  et.n_experts = E;
  et.rows = rows;
  et.cols = cols;
  return et;
}

}  // namespace

std::unique_ptr<BenchModel> make_bench_model(const BenchModelSpec& s) {
  auto bm = std::make_unique<BenchModel>();
  const MoeConfig& c = s.config;
  bm->model.config = c;
  synth::Rng rng(s.seed);
  constexpr int kPool = 64;
  const auto gpool = row_pool(s.gate, c.hidden, kPool, rng);
  const auto upool = s.up == s.gate ? gpool : row_pool(s.up, c.hidden, kPool, rng);
  const auto dpool = row_pool(s.down, c.expert_ffn, kPool, rng);
  for (int l = 0; l < s.layers; ++l) {
    const std::string pre = "blk." + std::to_string(l) + ".";
    MoeLayer L;
    bm->floats.emplace_back(std::size_t(c.hidden));
    for (float& v : bm->floats.back()) v = 1.0f + 0.1f * rng.gauss();
    L.ffn_norm = bm->floats.back().data();
    bm->floats.emplace_back(std::size_t(c.hidden) * std::size_t(c.n_experts));
    for (float& v : bm->floats.back()) v = rng.gauss() / std::sqrt(float(c.hidden));
    L.router = bm->floats.back().data();
    L.gate = fill_experts(*bm, gpool, kPool, s.gate, pre + "ffn_gate_exps.weight", c.n_experts, c.expert_ffn, c.hidden, rng);
    L.up = fill_experts(*bm, upool, kPool, s.up, pre + "ffn_up_exps.weight", c.n_experts, c.expert_ffn, c.hidden, rng);
    L.down = fill_experts(*bm, dpool, kPool, s.down, pre + "ffn_down_exps.weight", c.n_experts, c.hidden, c.expert_ffn, rng);
    bm->model.layers.push_back(L);
  }
  return bm;
}

}  // namespace pv::engine::bench
