#pragma once
// The one-token decode benchmark both throughput falsifiers (CPU and GPU) run: `layers`
// distinct Qwen3-30B-A3B-shaped layers, exact and q8 activations, `runs` iterations each.
#include <memory>

#include "engine/bench/moe_bench.hpp"
#include "falsifiers/framework/falsifier.hpp"

namespace pv::falsify::suite {

struct DecodeBench {
  engine::bench::BenchModelSpec spec;
  std::unique_ptr<engine::bench::BenchModel> model;  // kept alive until the caller's roofline is measured
  engine::bench::MoeBenchReport report;
};

// The model: layers from the falsifier's `layers` parameter (default_layers when absent), the
// seed ctx.seed; no report yet.
DecodeBench make_decode_bench(Context& ctx, int default_layers);
// The benchmark on b's model (b.report is replaced; run_moe_bench warms up first).
void measure_decode_bench(Context& ctx, engine::MoeEngine& eng, DecodeBench& b, int runs);
// Both of the above.
DecodeBench run_decode_bench(Context& ctx, engine::MoeEngine& eng, int default_layers, int runs);

}  // namespace pv::falsify::suite
