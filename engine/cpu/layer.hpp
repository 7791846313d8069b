#pragma once
// One MoE layer on the CPU for T tokens: norm, router, routing, then the experts grouped so
// each selected expert's rows stream from memory once per batch. See layer.cpp.
#include "engine/cpu/scratch.hpp"
#include "engine/cpu/thread_pool.hpp"
#include "engine/moe/engine.hpp"
#include "engine/quant/dot.hpp"

namespace pv::engine::cpu {

struct LayerRun {
  const MoeConfig* config;
  const MoeLayer* layer;
  int layer_index;
  ActivationMode mode;
  quant::Isa isa;
};

// h [T, d] -> out [T, d] (distinct buffers). Leaves probs [T, E], experts and weights [T, k]
// of this layer in `s`. Returns the number of distinct experts selected.
int run_layer(const LayerRun& run, const float* h, int T, float* out, Scratch& s, ThreadPool& pool);

// Sizes every buffer of `s` for T tokens and `threads` workers (reusing capacity).
void size_scratch(const MoeConfig& c, ActivationMode mode, int T, int threads, Scratch& s);

}  // namespace pv::engine::cpu
