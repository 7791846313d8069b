// The f64 oracle. Every step is a direct transcription of moe-facts.md, in double.
#include "engine/reference/oracle.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "engine/reference/dequant_f64.hpp"

namespace pv::engine::reference {
namespace {

using std::size_t;

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("reference: " + what); }

void check_inputs(const MoeModel& m, int first, int count, const double* h, int tokens) {
  const MoeConfig& c = m.config;
  if (tokens <= 0) bad("empty input: " + std::to_string(tokens) + " tokens");
  if (count <= 0 || first < 0 || first + count > static_cast<int>(m.layers.size()))
    bad("layers [" + std::to_string(first) + ", " + std::to_string(first + count) +
        ") outside the model's " + std::to_string(m.layers.size()) + " layers");
  if (c.top_k <= 0 || c.top_k > c.n_experts)
    bad("k = " + std::to_string(c.top_k) + " with E = " + std::to_string(c.n_experts) +
        " experts (need 1 <= k <= E)");
  for (int l = first; l < first + count; ++l) {
    const MoeLayer& L = m.layers[static_cast<size_t>(l)];
    if (!L.ffn_norm || !L.router) bad("layer " + std::to_string(l) + ": missing norm or router");
    for (const ExpertTensor* t : {&L.gate, &L.up, &L.down}) {
      if (!supports(t->type)) bad("tensor " + t->name + ": type id " +
                                  std::to_string(static_cast<unsigned>(t->type)) + " unsupported");
      if (t->data == nullptr) bad("tensor " + t->name + ": no data");
      if (t->n_experts != c.n_experts)
        bad("tensor " + t->name + " has " + std::to_string(t->n_experts) +
            " experts, the config says " + std::to_string(c.n_experts));
    }
    auto shape = [&](const ExpertTensor& t, int rows, int cols) {
      if (t.rows != rows || t.cols != cols)
        bad("tensor " + t.name + " is [" + std::to_string(t.rows) + ", " + std::to_string(t.cols) +
            "] per expert, expected [" + std::to_string(rows) + ", " + std::to_string(cols) + "]");
    };
    shape(L.gate, c.expert_ffn, c.hidden);
    shape(L.up, c.expert_ffn, c.hidden);
    shape(L.down, c.hidden, c.expert_ffn);
  }
  for (int t = 0; t < tokens; ++t)
    for (int i = 0; i < c.hidden; ++i)
      if (!std::isfinite(h[static_cast<size_t>(t) * c.hidden + i]))
        bad("input token " + std::to_string(t) + ", column " + std::to_string(i) + " is not finite");
}

double silu(double t) { return t / (1.0 + std::exp(-t)); }

// Selection and weights for one token from its logits.
void route_token(const double* z, int E, int k, const std::int32_t* forced, double* probs,
                 std::int32_t* experts, double* weights, double* margin) {
  const double zmax = *std::max_element(z, z + E);
  double sum = 0;
  for (int e = 0; e < E; ++e) sum += std::exp(z[e] - zmax);
  for (int e = 0; e < E; ++e) probs[e] = std::exp(z[e] - zmax) / sum;
  std::vector<int> order(static_cast<size_t>(E));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return probs[a] > probs[b]; });
  *margin = k < E ? probs[order[static_cast<size_t>(k - 1)]] - probs[order[static_cast<size_t>(k)]]
                  : std::numeric_limits<double>::infinity();
  for (int j = 0; j < k; ++j) experts[j] = forced ? forced[j] : order[static_cast<size_t>(j)];
  double wsum = 0;
  for (int j = 0; j < k; ++j) wsum += probs[experts[j]];
  for (int j = 0; j < k; ++j) weights[j] = wsum > 0 ? probs[experts[j]] / wsum : 1.0 / k;
}

void layer_forward(const MoeModel& m, int l, const double* h, int T, const std::int32_t* forced,
                   double* out, OracleRouting& r) {
  const MoeConfig& c = m.config;
  const MoeLayer& L = m.layers[static_cast<size_t>(l)];
  const int d = c.hidden, E = c.n_experts, k = c.top_k, F = c.expert_ffn;
  r = OracleRouting{T, E, k, std::vector<double>(size_t(T) * E), std::vector<std::int32_t>(size_t(T) * k),
                    std::vector<double>(size_t(T) * k), std::vector<double>(size_t(T))};
  std::vector<double> x(size_t(T) * d), z(static_cast<size_t>(E));
  for (int t = 0; t < T; ++t) {
    const double* ht = h + size_t(t) * d;
    double ss = 0;
    for (int i = 0; i < d; ++i) ss += ht[i] * ht[i];
    const double scale = 1.0 / std::sqrt(ss / d + static_cast<double>(c.rms_eps));
    for (int i = 0; i < d; ++i) x[size_t(t) * d + i] = ht[i] * scale * static_cast<double>(L.ffn_norm[i]);
    for (int e = 0; e < E; ++e) {
      double acc = 0;
      for (int i = 0; i < d; ++i) acc += static_cast<double>(L.router[size_t(e) * d + i]) * x[size_t(t) * d + i];
      z[size_t(e)] = acc;
    }
    for (int e = 0; e < E; ++e)
      if (!std::isfinite(z[size_t(e)]))
        bad("layer " + std::to_string(l) + ", token " + std::to_string(t) + ": router logit of expert " +
            std::to_string(e) + " is not finite");
    if (forced)
      for (int j = 0; j < k; ++j)
        if (forced[size_t(t) * k + j] < 0 || forced[size_t(t) * k + j] >= E)
          bad("forced expert " + std::to_string(forced[size_t(t) * k + j]) + " outside [0, " + std::to_string(E) + ")");
    route_token(z.data(), E, k, forced ? forced + size_t(t) * k : nullptr, &r.probs[size_t(t) * E],
                &r.experts[size_t(t) * k], &r.weights[size_t(t) * k], &r.margin[size_t(t)]);
  }
  // Expert by expert so that each expert's rows are dequantised once for all its tokens.
  std::vector<double> y(size_t(T) * k * d, 0.0), act(static_cast<size_t>(F)), row(static_cast<size_t>(std::max(d, F)));
  for (int e = 0; e < E; ++e) {
    for (int t = 0; t < T; ++t)
      for (int j = 0; j < k; ++j) {
        if (r.experts[size_t(t) * k + j] != e) continue;
        const double* xt = &x[size_t(t) * d];
        for (int f = 0; f < F; ++f) {
          dequantise_row(L.gate, e, f, row.data());
          double a = 0;
          for (int i = 0; i < d; ++i) a += row[size_t(i)] * xt[i];
          dequantise_row(L.up, e, f, row.data());
          double b = 0;
          for (int i = 0; i < d; ++i) b += row[size_t(i)] * xt[i];
          act[size_t(f)] = silu(a) * b;
        }
        double* yt = &y[(size_t(t) * k + j) * d];
        for (int i = 0; i < d; ++i) {
          dequantise_row(L.down, e, i, row.data());
          double acc = 0;
          for (int f = 0; f < F; ++f) acc += row[size_t(f)] * act[size_t(f)];
          yt[i] = acc;
        }
      }
  }
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < d; ++i) {
      double acc = 0;
      for (int j = 0; j < k; ++j) acc += r.weights[size_t(t) * k + j] * y[(size_t(t) * k + j) * d + i];
      out[size_t(t) * d + i] = h[size_t(t) * d + i] + acc;
    }
}

}  // namespace

OracleResult oracle_forward(const MoeModel& m, int first, int count, const double* h, int tokens,
                            const OracleOptions& opt) {
  check_inputs(m, first, count, h, tokens);
  if (opt.forced_experts && static_cast<int>(opt.forced_experts->size()) != count)
    bad("forced_experts has " + std::to_string(opt.forced_experts->size()) + " layers, expected " +
        std::to_string(count));
  const size_t n = size_t(tokens) * size_t(m.config.hidden);
  OracleResult res;
  std::vector<double> cur(h, h + n), next(n);
  res.routing.resize(size_t(count));
  for (int i = 0; i < count; ++i) {
    const std::int32_t* forced = nullptr;
    if (opt.forced_experts) {
      const auto& f = (*opt.forced_experts)[size_t(i)];
      if (f.size() != size_t(tokens) * size_t(m.config.top_k))
        bad("forced_experts[" + std::to_string(i) + "] has " + std::to_string(f.size()) +
            " entries, expected T * k = " + std::to_string(size_t(tokens) * size_t(m.config.top_k)));
      forced = f.data();
    }
    layer_forward(m, first + i, cur.data(), tokens, forced, next.data(), res.routing[size_t(i)]);
    cur.swap(next);
  }
  res.hidden = std::move(cur);
  return res;
}

OracleResult oracle_forward(const MoeModel& m, int first, int count, const float* h, int tokens,
                            const OracleOptions& opt) {
  if (tokens <= 0) bad("empty input: " + std::to_string(tokens) + " tokens");
  std::vector<double> hd(h, h + size_t(tokens) * size_t(m.config.hidden));
  return oracle_forward(m, first, count, hd.data(), tokens, opt);
}

}  // namespace pv::engine::reference
