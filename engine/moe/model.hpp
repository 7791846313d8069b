#pragma once
// The MoE model as the engines see it: raw, non-owning views of quantised weights.
// Produced by the GGUF view (engine/gguf) or built in memory by tests and falsifiers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/quant/types.hpp"

namespace pv::engine {

struct MoeConfig {
  int hidden = 0;        // d, a multiple of 256 (QK_K)
  int n_experts = 0;     // E
  int top_k = 0;         // k, 1 <= k <= E
  int expert_ffn = 0;    // intermediate size per expert, a multiple of 256 for down's rows
  float rms_eps = 1e-6f;
};

// One [E][rows, cols] expert tensor: E matrices stored one after another, each row-major
// with rows of `cols` values quantised in blocks of `type`.
struct ExpertTensor {
  std::string name;                 // e.g. "blk.3.ffn_gate_exps.weight", for error messages
  quant::Type type = quant::Type::F32;
  const std::uint8_t* data = nullptr;
  int n_experts = 0, rows = 0, cols = 0;
  std::size_t row_bytes() const { return quant::row_bytes(type, cols); }
  std::size_t expert_bytes() const { return row_bytes() * static_cast<std::size_t>(rows); }
  std::size_t total_bytes() const { return expert_bytes() * static_cast<std::size_t>(n_experts); }
  const std::uint8_t* expert(int e) const { return data + expert_bytes() * static_cast<std::size_t>(e); }
};

struct MoeLayer {
  const float* ffn_norm = nullptr;  // [hidden]
  const float* router = nullptr;    // [E, hidden] row-major f32
  ExpertTensor gate;                // [E][ffn, hidden]
  ExpertTensor up;                  // [E][ffn, hidden]
  ExpertTensor down;                // [E][hidden, ffn]
};

struct MoeModel {
  MoeConfig config;
  std::vector<MoeLayer> layers;
  // Sum of every layer's expert bytes in their quantised form.
  std::size_t expert_bytes() const;
};

// Throws std::invalid_argument naming the tensor and the mismatch when shapes, types or the
// config disagree (hidden not a multiple of 256, k = 0 or k > E, null pointers, ...).
void check_model(const MoeModel& model);

}  // namespace pv::engine
