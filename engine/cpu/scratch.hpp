#pragma once
// Every buffer one forward call allocates besides its result. Sizes, with d = hidden,
// F = expert_ffn, E experts, k per token, T tokens (floats unless said otherwise):
//   h ping-pong and x:        2 T d        (+ T d/256 Q8_K blocks in q8 mode)
//   logits and probs:         2 T E        (E <= d in every model we know; part of O(T d))
//   experts, weights, slots:  3 T k + E + 1
//   act (silu(gate) * up):    T k F        (+ T k F/256 Q8_K blocks in q8 mode)
//   down chunk outputs:       T k C, C = min(d, F) rows per chunk (see layer.cpp)
//   work list:                E ceil(max(F, C) / rows per item) pairs
//   per worker:               max(d, F) (one expanded row, exact mode) + 2 T k results
//                             + T k activation pointers (q8)
// so O(T d + T k F): nothing scales with the expert weights, which are read in place.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/quant/blocks.hpp"

namespace pv::engine::cpu {

struct WorkItem {
  std::int32_t expert;  // index into the expert tensors (after any planted fault)
  std::int32_t row0;    // first row of this item's block
};

struct Scratch {
  std::vector<float> x, hbuf, logits, probs, weights, act, ydown, wrow;
  std::vector<std::vector<float>> gtmp, utmp;                // per worker: T k results
  std::vector<std::vector<const quant::BlockQ8K*>> qptr;    // per worker: T k activations
  std::vector<quant::BlockQ8K> xq, actq;
  std::vector<std::int32_t> experts, slot_start, slots;
  std::vector<WorkItem> items;

  std::size_t bytes() const {
    auto b = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
    return b(x) + b(hbuf) + b(logits) + b(probs) + b(weights) + b(act) + b(ydown) + b(xq) +
           b(actq) + b(experts) + b(slot_start) + b(slots) + b(items) + b(wrow) +
           gtmp_bytes();
  }
  std::size_t gtmp_bytes() const {
    std::size_t n = 0;
    for (const auto& g : gtmp) n += g.capacity() * sizeof(float);
    for (const auto& g : utmp) n += g.capacity() * sizeof(float);
    for (const auto& g : qptr) n += g.capacity() * sizeof(g[0]);
    return n;
  }
};

}  // namespace pv::engine::cpu
