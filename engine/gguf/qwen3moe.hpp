#pragma once
// The Qwen3-MoE view of a GGUF file: the FFN-sublayer config from the qwen3moe.* keys and, per
// layer, zero-copy views of ffn_norm, ffn_gate_inp (router) and the three expert tensors.
// GGUF dims are fastest-first, so a per-expert [rows, cols] matrix stack reads [cols, rows, E].
#include <string>

#include "engine/gguf/reader.hpp"
#include "engine/moe/model.hpp"

namespace pv::engine::gguf {

// Key names, for writers (engine/synth) and readers alike.
namespace qwen3moe_keys {
inline constexpr const char* arch = "general.architecture";  // "qwen3moe"
inline constexpr const char* block_count = "qwen3moe.block_count";
inline constexpr const char* hidden = "qwen3moe.embedding_length";
inline constexpr const char* n_experts = "qwen3moe.expert_count";
inline constexpr const char* top_k = "qwen3moe.expert_used_count";
inline constexpr const char* expert_ffn = "qwen3moe.expert_feed_forward_length";
inline constexpr const char* rms_eps = "qwen3moe.attention.layer_norm_rms_epsilon";
}  // namespace qwen3moe_keys

std::string layer_tensor_name(int layer, const char* what);  // ("ffn_up_exps") -> blk.L.ffn_up_exps.weight

// Throws Error (missing_key, wrong_key_type) naming the key; the config is checked as in
// check_model (hidden and expert_ffn multiples of 256, 1 <= k <= E).
MoeConfig qwen3moe_config(const File& f);
int qwen3moe_layer_count(const File& f);

// Every layer of the file. The returned model points into `f`, which must outlive it.
// Throws Error (missing_tensor, tensor_shape, tensor_type) naming the tensor and the mismatch.
MoeModel qwen3moe_model(const File& f);

}  // namespace pv::engine::gguf
