#include "falsifiers/suite/common/expert_pool.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>

#include "engine/quant/types.hpp"

namespace pv::falsify::suite {

namespace q = engine::quant;

ExpertPool::ExpertPool(const ShapeBounds& b, std::uint64_t seed) {
  Rng rng(seed);
  const int d = 256 * b.max_hidden_blocks, f = 256 * b.max_ffn_blocks, E = b.max_experts;
  gate_.resize(q::row_bytes(q::Type::Q4_K, d) * f * E);
  up_.resize(gate_.size());
  down_.resize(q::row_bytes(q::Type::Q6_K, f) * d * E);
  fill_blocks(q::Type::Q4_K, BlockKind::random, rng, gate_.data(), gate_.size() / 144, -14, -11, false);
  fill_blocks(q::Type::Q4_K, BlockKind::random, rng, up_.data(), up_.size() / 144, -14, -11, false);
  fill_blocks(q::Type::Q6_K, BlockKind::random, rng, down_.data(), down_.size() / 210, -14, -11, false);
}

const char* to_string(RouterKind k) {
  switch (k) {
    case RouterKind::random: return "random";
    case RouterKind::zero: return "zero";
    case RouterKind::ties: return "ties";
  }
  return "?";
}
void showValue(RouterKind k, std::ostream& os) { os << to_string(k); }

CaseModel case_model(const ExpertPool& pool, const MoeShape& s, RouterKind router, Rng& rng) {
  CaseModel c;
  const int d = s.hidden, E = s.n_experts, F = s.expert_ffn;
  c.norm.resize(d);
  for (auto& v : c.norm) v = 1.0f + 0.1f * rng.normal();
  c.router.assign(static_cast<std::size_t>(E) * d, 0.0f);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  if (router == RouterKind::random) {
    for (auto& v : c.router) v = rng.normal() * scale;
  } else if (router == RouterKind::ties) {
    const int distinct = 1 + static_cast<int>(rng.next() % 3);
    std::vector<float> base(static_cast<std::size_t>(distinct) * d);
    for (auto& v : base) v = rng.normal() * scale;
    for (int e = 0; e < E; ++e) {
      const int pick = static_cast<int>(rng.next() % distinct);
      std::copy_n(base.begin() + static_cast<std::ptrdiff_t>(pick) * d, d, c.router.begin() + static_cast<std::ptrdiff_t>(e) * d);
    }
  }
  c.model.config = engine::MoeConfig{d, E, s.top_k, F, 1e-6f};
  engine::MoeLayer L;
  L.ffn_norm = c.norm.data();
  L.router = c.router.data();
  auto t = [&](const char* name, q::Type type, const std::uint8_t* data, int rows, int cols) {
    engine::ExpertTensor x;
    x.name = std::string("blk.0.") + name + ".weight";
    x.type = type;
    x.data = data;
    x.n_experts = E;
    x.rows = rows;
    x.cols = cols;
    return x;
  };
  L.gate = t("ffn_gate_exps", q::Type::Q4_K, pool.gate(), F, d);
  L.up = t("ffn_up_exps", q::Type::Q4_K, pool.up(), F, d);
  L.down = t("ffn_down_exps", q::Type::Q6_K, pool.down(), d, F);
  c.model.layers.push_back(L);
  return c;
}

std::vector<double> reference_probs(const engine::MoeModel& m, const std::vector<float>& h, int tokens) {
  const auto& c = m.config;
  const auto& L = m.layers.at(0);
  std::vector<double> probs(static_cast<std::size_t>(tokens) * c.n_experts);
  std::vector<double> x(c.hidden), z(c.n_experts);
  for (int t = 0; t < tokens; ++t) {
    const float* ht = h.data() + static_cast<std::size_t>(t) * c.hidden;
    double ss = 0;
    for (int i = 0; i < c.hidden; ++i) ss += static_cast<double>(ht[i]) * ht[i];
    const double inv = 1.0 / std::sqrt(ss / c.hidden + static_cast<double>(c.rms_eps));
    for (int i = 0; i < c.hidden; ++i) x[i] = ht[i] * inv * L.ffn_norm[i];
    double zmax = -INFINITY;
    for (int e = 0; e < c.n_experts; ++e) {
      double acc = 0;
      const float* r = L.router + static_cast<std::size_t>(e) * c.hidden;
      for (int i = 0; i < c.hidden; ++i) acc += r[i] * x[i];
      z[e] = acc;
      zmax = std::max(zmax, acc);
    }
    double sum = 0;
    for (int e = 0; e < c.n_experts; ++e) sum += (z[e] = std::exp(z[e] - zmax));
    for (int e = 0; e < c.n_experts; ++e) probs[static_cast<std::size_t>(t) * c.n_experts + e] = z[e] / sum;
  }
  return probs;
}

}  // namespace pv::falsify::suite
