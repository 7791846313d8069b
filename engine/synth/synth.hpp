#pragma once
// Synthetic Qwen3-MoE GGUF files: the real tensor names, shapes and types, with weights drawn
// from a seeded portable PRNG (rng.hpp) and quantised by engine/quant's searching quantisers.
// Same options -> byte-identical file on any machine and any thread count.
//
// Weight statistics (chosen to look like trained weights, and to make routing non-trivial):
//   expert rows:  gaussian * row scale, row scale = base * (0.5 + 1.5 u^2) (u uniform), so row
//                 norms vary 4x; 1 value in 512 is an outlier 8x larger. base = 1/sqrt(fan_in).
//   router rows:  gaussian * (0.6 + 0.8 u) * 2/sqrt(hidden): logits of a unit input spread
//                 over a few units, so the softmax is neither flat nor one-hot.
//   ffn_norm:     1 + 0.25 * gaussian, 1 channel in 64 scaled by 4.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/moe/model.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::synth {

struct Preset {
  std::string name;
  MoeConfig config;
  int default_layers = 1;
};
// "tiny": hidden 256, 8 experts, top-2, ffn 256, 2 layers.
// "qwen3-30b-a3b": hidden 2048, 128 experts, top-8, ffn 768, 48 layers, eps 1e-6.
Preset preset(const std::string& name);  // throws std::invalid_argument listing the presets
std::vector<std::string> preset_names();

struct LayerTypes {
  quant::Type gate, up, down;
};
// SPEC: "q4k" (all Q4_K), "q6k" (all Q6_K), "llama-q4km" (gate/up Q4_K; down Q6_K in the first
// and last eighth of the layers and every third layer in between, else Q4_K, as llama.cpp's
// Q4_K_M), or "GATE,UP,DOWN" with each one of q4k/q6k (e.g. "q4k,q4k,q6k").
// Throws std::invalid_argument naming the bad part.
std::vector<LayerTypes> parse_quant_mix(const std::string& spec, int layers);

struct Options {
  std::string preset = "tiny";
  int layers = 0;                 // 0: the preset's default
  std::uint64_t seed = 1;
  std::string quant_mix = "llama-q4km";
  int threads = 0;                // 0: all cores; never changes the bytes written
  bool progress = false;          // one line per tensor on stderr
};

// Writes the file and returns its size in bytes. Throws on bad options or I/O errors.
std::uint64_t write_model(const Options& opt, const std::string& path);

// The f32 weights before quantisation (for tests): row r of expert e of a tensor kind
// ("gate", "up", "down", "router", "norm") in layer l.
std::vector<float> weight_row(const Options& opt, int layer, const std::string& kind, int expert, int row);

}  // namespace pv::engine::synth
