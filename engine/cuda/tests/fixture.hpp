#pragma once
// Test fixtures for the CUDA engine: small MoE models built in memory (random weights quantised
// with engine/quant), the engines under comparison, and error measures.
// GPU-less machines: cuda_engine_or_skip() prints the reason and exits with code 77, which
// CTest reports as "Skipped" (SKIP_RETURN_CODE), never as passed.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/cuda/cuda_engine.hpp"
#include "engine/moe/model.hpp"
#include "engine/quant/quantize.hpp"
#include "engine/synth/rng.hpp"

namespace pv::engine::cuda_test {

inline constexpr int kSkipCode = 77;

inline std::unique_ptr<MoeEngine> cuda_engine_or_skip() {
  std::string why;
  auto e = make_cuda_engine(&why);
  if (!e) {
    // Only a missing device is a skip; a device whose engine cannot start is a failure.
    if (why.rfind("no CUDA device", 0) != 0 && why.rfind("no usable CUDA device", 0) != 0)
      throw std::runtime_error("CUDA device present but the engine failed: " + why);
    std::fprintf(stderr, "SKIPPED (not passed): no CUDA device for this test: %s\n", why.c_str());
    std::exit(kSkipCode);
  }
  return e;
}

struct Spec {
  int hidden = 256, n_experts = 8, top_k = 2, ffn = 256, layers = 1;
  quant::Type gate = quant::Type::Q4_K, up = quant::Type::Q4_K, down = quant::Type::Q6_K;
  std::uint64_t seed = 1;
  float router_scale = 1.0f;  // 0: all-zero router
  bool skewed = false;        // router row 0 along +1, row E-1 along -1 (see skewed_hidden)
  // > 0: expert rows are copies of this many quantised random rows, picked at random (the
  // quantiser's scale search costs ~0.3 s per million values; a pool keeps the large shapes
  // fast while rows at the same index still differ between experts with probability 1 - 1/pool).
  int pool_rows = 0;
};

struct Owned {
  MoeModel model;
  std::vector<std::vector<float>> floats;
  std::vector<std::vector<std::uint8_t>> bytes;
};

inline ExpertTensor experts(Owned& o, synth::Rng& rng, const std::string& name, quant::Type t, int E,
                            int rows, int cols, int pool) {
  const float scale = 1.0f / std::sqrt(float(cols));
  std::vector<float> row(static_cast<std::size_t>(cols));
  const std::size_t rb = quant::row_bytes(t, cols);
  o.bytes.emplace_back(rb * std::size_t(rows) * std::size_t(E));
  std::vector<std::uint8_t> pooled(rb * std::size_t(pool));
  for (int r = 0; r < pool; ++r) {
    for (float& v : row) v = rng.gauss() * scale;
    quant::quantize_row(t, row.data(), pooled.data() + rb * std::size_t(r), cols);
  }
  for (int r = 0; r < rows * E; ++r) {
    std::uint8_t* dst = o.bytes.back().data() + rb * std::size_t(r);
    if (pool > 0) {
      std::memcpy(dst, pooled.data() + rb * rng.below(std::uint32_t(pool)), rb);
      continue;
    }
    for (float& v : row) v = rng.gauss() * scale;
    quant::quantize_row(t, row.data(), dst, cols);
  }
  ExpertTensor et;
  et.name = name;
  et.type = t;
  et.data = o.bytes.back().data();
  et.n_experts = E;
  et.rows = rows;
  et.cols = cols;
  return et;
}

inline std::unique_ptr<Owned> make_model(const Spec& s) {
  auto o = std::make_unique<Owned>();
  o->model.config = MoeConfig{s.hidden, s.n_experts, s.top_k, s.ffn, 1e-6f};
  o->floats.reserve(std::size_t(2 * s.layers));
  o->bytes.reserve(std::size_t(3 * s.layers));
  synth::Rng rng(s.seed);
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    MoeLayer L;
    o->floats.emplace_back(std::size_t(s.hidden));
    for (float& v : o->floats.back()) v = 1.0f + 0.1f * rng.gauss();
    L.ffn_norm = o->floats.back().data();
    o->floats.emplace_back(std::size_t(s.hidden) * std::size_t(s.n_experts));
    auto& r = o->floats.back();
    for (float& v : r) v = s.router_scale * rng.gauss() / std::sqrt(float(s.hidden));
    if (s.skewed)
      for (int i = 0; i < s.hidden; ++i) {
        // x = RMSNorm(h) of an offset token is about +0.95 everywhere, so these rows give
        // logits near +7.6 and -7.6 while the random rows give |z| of a few units.
        r[i] = 8.0f / float(s.hidden);                                          // every token
        r[std::size_t(s.n_experts - 1) * s.hidden + i] = -8.0f / float(s.hidden);  // no token
      }
    L.router = r.data();
    L.gate = experts(*o, rng, p + "ffn_gate_exps.weight", s.gate, s.n_experts, s.ffn, s.hidden, s.pool_rows);
    L.up = experts(*o, rng, p + "ffn_up_exps.weight", s.up, s.n_experts, s.ffn, s.hidden, s.pool_rows);
    L.down = experts(*o, rng, p + "ffn_down_exps.weight", s.down, s.n_experts, s.hidden, s.ffn, s.pool_rows);
    o->model.layers.push_back(L);
  }
  return o;
}

// Gaussian tokens; with `offset` every value is shifted by +offset, so RMSNorm(h) leans along
// +1 and a skewed router sends every token to expert 0 and none to expert E-1.
inline std::vector<float> hidden_states(int tokens, int hidden, std::uint64_t seed, float offset = 0.f) {
  synth::Rng rng(seed);
  std::vector<float> h(std::size_t(tokens) * hidden);
  for (float& v : h) v = rng.gauss() + offset;
  return h;
}

// ||(a - h) - (b - h)|| / ||b - h|| over the given tokens (all when `use` is empty): the
// MoE part only, since the residual h would hide errors in the experts.
template <class B>
double moe_rel_error(const std::vector<float>& a, const std::vector<B>& b, const std::vector<float>& h,
                     int hidden, const std::vector<bool>& use = {}) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!use.empty() && !use[i / std::size_t(hidden)]) continue;
    const double d = double(a[i]) - double(b[i]), m = double(b[i]) - double(h[i]);
    num += d * d;
    den += m * m;
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

}  // namespace pv::engine::cuda_test
