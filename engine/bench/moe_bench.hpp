#pragma once
// Throughput of any MoeEngine on a model whose weights do not fit in cache: per-layer time,
// tokens/s and effective GB/s of the expert bytes actually read (distinct experts selected per
// layer x their bytes), per token count and activation mode. Reused by `pv bench` and the
// performance falsifiers; backend-generic (CPU and CUDA engines alike).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/moe/engine.hpp"

namespace pv::engine::bench {

struct MoeBenchOptions {
  std::vector<int> tokens{1, 8, 64, 512};
  std::vector<ActivationMode> modes{ActivationMode::exact, ActivationMode::q8};
  int threads = 0;             // 0: all cores (CPU)
  double min_seconds = 1.0;    // per point: repeat until this much time was measured
  int min_iterations = 2;      // ... and at least this many timed runs (after one warm-up)
  std::uint64_t seed = 1;      // input hidden states (different ones every iteration)
};

struct MoeBenchPoint {
  ActivationMode mode = ActivationMode::exact;
  int tokens = 0;
  int layers = 0;                     // layers per forward call (distinct weights)
  int iterations = 0;
  double seconds_per_layer = 0;       // median over iterations of (time / layers)
  double tokens_per_second = 0;       // tokens / seconds_per_layer (one layer)
  double distinct_experts = 0;        // mean distinct experts selected per layer
  double expert_bytes_per_layer = 0;  // mean bytes of the distinct selected experts
  double gb_per_second = 0;           // expert_bytes_per_layer / seconds_per_layer / 1e9
};

struct MoeBenchReport {
  std::string backend;
  MoeConfig config;
  int layers = 0;
  std::size_t model_expert_bytes = 0;
  double memory_gb_per_second = 0;    // measured by the caller in the same run (0: not measured)
  std::string memory_method;          // how it was measured
  std::vector<MoeBenchPoint> points;
};

// Runs every (mode, tokens) point over all layers of `model` with `engine` (loaded here).
MoeBenchReport run_moe_bench(MoeEngine& engine, const MoeModel& model, const MoeBenchOptions& opt);

// A table for people, one line per point, with the fraction of memory bandwidth.
std::string format_report(const MoeBenchReport& r);

// A synthetic model of the given shape built in memory, fast: each expert row is a copy of one
// of a pool of properly quantised random rows (chosen at random), so every byte is a plausible
// weight at its own address while generation runs at memcpy speed. The router and norms are
// random f32 as in a real file, so routing is spread over all experts.
struct BenchModel {
  MoeModel model;
  std::vector<std::vector<float>> floats;
  std::vector<std::unique_ptr<std::uint8_t[]>> bytes;
};
struct BenchModelSpec {
  MoeConfig config{2048, 128, 8, 768, 1e-6f};  // qwen3-30b-a3b
  int layers = 4;
  quant::Type gate = quant::Type::Q4_K, up = quant::Type::Q4_K, down = quant::Type::Q6_K;
  std::uint64_t seed = 1;
};
std::unique_ptr<BenchModel> make_bench_model(const BenchModelSpec& spec);

}  // namespace pv::engine::bench
