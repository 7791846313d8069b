#pragma once
// Throughput of dequantisation and dot products over a weight buffer far larger than the
// caches, in GB/s of quantised bytes read: the figure to set against memory bandwidth.
#include <cstddef>
#include <string>
#include <vector>

#include "engine/quant/dot.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::bench {

struct QuantBenchOptions {
  std::size_t bytes = std::size_t{512} << 20;  // quantised bytes per type
  int cols = 2048;                              // row length (Qwen3-30B-A3B hidden)
  int reps = 3;                                 // best of reps
  int threads = 1;
  std::vector<quant::Type> types = {quant::Type::Q4_K, quant::Type::Q6_K};
};

struct QuantBenchResult {
  quant::Type type;
  std::string op;        // "dequant", "dot_f32", "dot_q8k"
  std::string isa;       // "scalar", "avx2" (dequant: "scalar", the reference code)
  double gbs = 0;        // quantised bytes per second / 1e9
  double gvalues = 0;    // weights per second / 1e9
};

std::vector<QuantBenchResult> run_quant_bench(const QuantBenchOptions& opt);

}  // namespace pv::engine::bench
