#pragma once
// The CPU MoE engine: h' = h + MoE(RMSNorm(h)) on quantised expert weights read in place
// (no f32 copy of any expert tensor). See README.md in this folder for the design.
#include <cstddef>
#include <memory>

#include "engine/moe/engine.hpp"
#include "engine/quant/dot.hpp"

namespace pv::engine::cpu {

struct CpuEngineOptions {
  quant::Isa isa = quant::best_isa();  // scalar forces the portable dot products
};

// Bytes of scratch one forward call of T tokens allocates (besides its result), for the
// model's shape and mode: O(T x hidden + T x k x ffn), see scratch.hpp.
struct CpuForwardStats {
  std::size_t scratch_bytes = 0;
  int threads = 0;
  int distinct_experts_last_layer = 0;
};

class CpuEngine final : public MoeEngine {
 public:
  explicit CpuEngine(CpuEngineOptions opt = {});
  ~CpuEngine() override;
  std::string name() const override { return "cpu"; }
  // Checks the model (shapes, types, k, E) and keeps a reference to it: the caller keeps the
  // model and its mapping alive while the engine is used.
  void load(const MoeModel& model) override;
  ForwardResult forward(int first_layer, int layer_count, const float* h, int tokens,
                        const ForwardOptions& opt) override;
  const CpuForwardStats& last_stats() const { return stats_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  CpuForwardStats stats_;
};

std::unique_ptr<MoeEngine> make_cpu_engine(CpuEngineOptions opt = {});

// Types the CPU engine reads in each mode (exact: F32, F16, BF16, Q8_0, Q4_K, Q6_K; q8: the
// K-quants Q4_K and Q6_K, whose activation format is Q8_K).
bool cpu_supports(quant::Type t, ActivationMode mode);

}  // namespace pv::engine::cpu
