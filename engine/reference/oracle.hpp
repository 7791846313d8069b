#pragma once
// The f64 oracle: h' = h + MoE(RMSNorm(h)) computed in double with plain loops, slow and
// obviously correct. The falsifiers compare every backend with it. It shares no arithmetic
// with the fast paths: its own dequantisation (dequant_f64.hpp), its own norm, softmax,
// top-k and SwiGLU. Semantics: ../shared/docs/moe-facts.md.
#include <cstdint>
#include <vector>

#include "engine/moe/model.hpp"

namespace pv::engine::reference {

struct OracleRouting {
  int tokens = 0, n_experts = 0, top_k = 0;
  std::vector<double> probs;            // [T, E] softmax over all experts
  std::vector<std::int32_t> experts;    // [T, k] descending probability, ties: lower index
  std::vector<double> weights;          // [T, k] renormalised (1/k each if the k sum to 0)
  // [T] probability of the k-th selected expert minus that of the best unselected one
  // (0 for a tie, +inf when k = E): a backend computing in f32 may legitimately pick a
  // different expert when this is within its rounding error.
  std::vector<double> margin;
};

struct OracleOptions {
  // When set, [count][T * k]: use these experts for each layer run instead of selecting them
  // (weights still renormalised from the oracle's f64 probabilities). Lets a falsifier compare
  // outputs on near-tie tokens where f32 and f64 legitimately choose different experts.
  const std::vector<std::vector<std::int32_t>>* forced_experts = nullptr;
};

struct OracleResult {
  std::vector<double> hidden;           // [T, hidden]
  std::vector<OracleRouting> routing;   // one per layer run
};

// Runs layers [first, first + count) on h ([T, hidden] row-major). Throws
// std::invalid_argument with names and numbers for a bad layer range, empty input, an
// inconsistent model or non-finite input (token and column).
OracleResult oracle_forward(const MoeModel& model, int first_layer, int layer_count,
                            const float* h, int tokens, const OracleOptions& opt = {});
OracleResult oracle_forward(const MoeModel& model, int first_layer, int layer_count,
                            const double* h, int tokens, const OracleOptions& opt = {});

}  // namespace pv::engine::reference
