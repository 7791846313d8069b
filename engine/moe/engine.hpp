#pragma once
// The engine API every backend implements: h' = h + MoE(RMSNorm(h)) over T tokens.
// Semantics: ../shared/docs/moe-facts.md. The CPU engine is the reference for the others.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/moe/model.hpp"

namespace pv::engine {

// exact: f32 activations into every dot product.
// q8:    activations quantised per 256 values (Q8_K on the CPU, as llama.cpp does) and
//        integer dot products; the CUDA backend documents its own q8 format (Q8_1 blocks).
enum class ActivationMode { exact, q8 };
const char* to_string(ActivationMode m);
ActivationMode activation_mode_from_string(const std::string& s);  // throws on unknown

struct ForwardOptions {
  ActivationMode mode = ActivationMode::exact;
  int threads = 0;                 // 0: all cores (CPU backend only)
  bool capture_routing = false;    // fill ForwardResult::routing (first layer run only if false)
};

// What the falsifiers inspect, per layer run and per token, row-major [T, k] or [T, E].
struct Routing {
  int tokens = 0, n_experts = 0, top_k = 0;
  std::vector<float> probs;        // [T, E] softmax over all experts
  std::vector<std::int32_t> experts;  // [T, k] selected, descending probability
  std::vector<float> weights;      // [T, k] renormalised, sum to 1
};

struct ForwardResult {
  std::vector<float> hidden;       // [T, hidden]
  std::vector<Routing> routing;    // one per layer run, when capture_routing
  ActivationMode mode = ActivationMode::exact;
  std::string backend;
};

class MoeEngine {
 public:
  virtual ~MoeEngine() = default;
  virtual std::string name() const = 0;           // "cpu", "cuda"
  // Prepare weights (the CUDA engine uploads them once, in quantised form).
  virtual void load(const MoeModel& model) = 0;
  // Runs layers [first, first + count) in order on h ([T, hidden], row-major).
  virtual ForwardResult forward(int first_layer, int layer_count, const float* h, int tokens,
                                const ForwardOptions& opt) = 0;
  // Device bytes held for expert weights (0 for the CPU engine, which reads the mapping).
  virtual std::size_t device_expert_bytes() const { return 0; }
  // Median device time (ms) of the compute of forward(first_layer, layer_count, ., tokens, opt)
  // over `reps` timed runs after a warm-up, host<->device copies excluded (CUDA: replays of
  // the captured graph between events, on the h of the last forward()). -1 when the backend
  // has no device timer (the CPU engine), in which case callers time forward() on the host.
  virtual double device_forward_ms(int first_layer, int layer_count, int tokens,
                                   const ForwardOptions& opt, int reps) {
    (void)first_layer, (void)layer_count, (void)tokens, (void)opt, (void)reps;
    return -1.0;
  }
};

// Backend factory. Returns nullptr and sets `why` when the backend is not available here
// (not compiled in, or no device). Never falls back to another backend.
std::unique_ptr<MoeEngine> make_engine(const std::string& backend, std::string* why);
std::vector<std::string> known_backends();  // {"cpu", "cuda"}

}  // namespace pv::engine
