#include "falsifiers/suite/common/decode_bench.hpp"

namespace pv::falsify::suite {

DecodeBench make_decode_bench(Context& ctx, int default_layers) {
  DecodeBench b;
  b.spec.layers = ctx.int_param("layers", default_layers);
  b.spec.seed = ctx.seed;
  b.model = engine::bench::make_bench_model(b.spec);
  return b;
}

DecodeBench run_decode_bench(Context& ctx, engine::MoeEngine& eng, int default_layers, int runs) {
  DecodeBench b = make_decode_bench(ctx, default_layers);
  measure_decode_bench(ctx, eng, b, runs);
  return b;
}

void measure_decode_bench(Context& ctx, engine::MoeEngine& eng, DecodeBench& b, int runs) {
  engine::bench::MoeBenchOptions opt;
  opt.tokens = {1};
  opt.modes = {engine::ActivationMode::exact, engine::ActivationMode::q8};
  opt.min_iterations = runs;
  opt.seed = ctx.seed;
  b.report = engine::bench::run_moe_bench(eng, b.model->model, opt);
}

}  // namespace pv::falsify::suite
