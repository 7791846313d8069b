#pragma once
// Per-token routing of the CPU engine, in f32: softmax over all E logits, top-k with ties to
// the lower expert index, renormalised weights (1/k each if the k probabilities sum to 0).
// Planted faults (fault.hpp): drop_renormalisation, softmax_over_topk.
#include <cstdint>

namespace pv::engine::cpu {

// x = h / sqrt(mean(h^2) + eps) * w. The sum of squares runs in double (as ggml does), so it
// cannot overflow for any finite f32 input.
void rms_norm(const float* h, const float* w, int d, float eps, float* x);

// From E logits: probs[E] (softmax over all, the captured ones), experts[k] in descending
// probability, weights[k].
void route_token(const float* logits, int E, int k, float* probs, std::int32_t* experts,
                 float* weights);

}  // namespace pv::engine::cpu
