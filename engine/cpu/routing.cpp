#include "engine/cpu/routing.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "engine/moe/fault.hpp"

namespace pv::engine::cpu {

void rms_norm(const float* h, const float* w, int d, float eps, float* x) {
  double ss = 0;
  for (int i = 0; i < d; ++i) ss += static_cast<double>(h[i]) * h[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / d + static_cast<double>(eps)));
  for (int i = 0; i < d; ++i) x[i] = h[i] * scale * w[i];
}

namespace {

// Softmax of n values into p, with the usual max shift; the denominator summed in double.
void softmax(const float* z, int n, float* p) {
  const float zmax = *std::max_element(z, z + n);
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    p[i] = std::exp(z[i] - zmax);
    sum += p[i];
  }
  const float denom = static_cast<float>(sum);
  for (int i = 0; i < n; ++i) p[i] = p[i] / denom;
}

}  // namespace

void route_token(const float* z, int E, int k, float* probs, std::int32_t* experts, float* weights) {
  softmax(z, E, probs);
  // Top-k by probability, ties broken by the lower index: a strict total order, so the
  // selection is the same whatever the sort's internals.
  std::vector<std::int32_t> idx(static_cast<std::size_t>(E));
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](std::int32_t a, std::int32_t b) {
    return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
  });
  for (int j = 0; j < k; ++j) experts[j] = idx[static_cast<std::size_t>(j)];

  if (PV_FAULT(softmax_over_topk)) {
    // Planted bug: the softmax sees only the k selected logits, so the captured probabilities
    // of the selected experts sum to 1 and every other expert reports 0.
    std::vector<float> zk(static_cast<std::size_t>(k)), pk(static_cast<std::size_t>(k));
    for (int j = 0; j < k; ++j) zk[static_cast<std::size_t>(j)] = z[experts[j]];
    softmax(zk.data(), k, pk.data());
    std::fill(probs, probs + E, 0.0f);
    for (int j = 0; j < k; ++j) probs[experts[j]] = pk[static_cast<std::size_t>(j)];
  }
  // Renormalise in double: an f32 running sum of k terms carries up to ~k * 2^-24 relative
  // error (1.5e-6 seen at k = 79), over the contract's 1e-6; in double each weight carries only
  // its own final rounding, so the k stored weights sum to 1 within about 2^-24 = 6e-8.
  double sum = 0;
  for (int j = 0; j < k; ++j) sum += static_cast<double>(probs[experts[j]]);
  for (int j = 0; j < k; ++j) {
    if (PV_FAULT(drop_renormalisation)) weights[j] = probs[experts[j]];  // planted bug
    else weights[j] = sum > 0 ? static_cast<float>(probs[experts[j]] / sum) : 1.0f / static_cast<float>(k);
  }
}

}  // namespace pv::engine::cpu
