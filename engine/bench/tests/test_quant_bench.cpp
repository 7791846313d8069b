// The benchmarks run end to end and report every case; speeds are measured, never asserted.
#include <catch2/catch.hpp>

#include "engine/bench/bandwidth.hpp"
#include "engine/bench/quant_bench.hpp"

using namespace pv::engine;

TEST_CASE("bandwidth and quant benchmarks report every case with positive figures") {
  const bench::Bandwidth bw = bench::measure_bandwidth({std::size_t{4} << 20, 1, 2});
  CHECK(bw.copy_gbs > 0);
  CHECK(bw.read_gbs > 0);
  CHECK(bw.threads == 2);
  bench::QuantBenchOptions o;
  o.bytes = std::size_t{1} << 20;
  o.reps = 1;
  const auto r = bench::run_quant_bench(o);
  const std::size_t per_type = quant::isa_supported(quant::Isa::avx2) ? 5 : 3;
  REQUIRE(r.size() == 2 * per_type);
  for (const auto& x : r) {
    INFO(quant::name(x.type) << " " << x.op << " " << x.isa);
    CHECK(x.gbs > 0);
    CHECK(x.gvalues > 0);
  }
}
