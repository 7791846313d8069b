// qwen3-moe-forward-v1: FALSIFY-QW3-MOE-ORACLE-001, -Q8-001, -GOLDEN-001, -CPU-THROUGHPUT-001.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

#include "engine/bench/bandwidth.hpp"
#include "engine/bench/moe_bench.hpp"
#include "engine/quant/types.hpp"
#include "falsifiers/framework/metrics.hpp"
#include "falsifiers/suite/common/decode_bench.hpp"
#include "falsifiers/suite/common/engines.hpp"
#include "falsifiers/suite/common/golden.hpp"
#include "falsifiers/suite/common/oracle_compare.hpp"

namespace pv::falsify::suite {
namespace {

namespace q = engine::quant;
using engine::ActivationMode;

// A probability margin below which f32 and f64 may rank two experts differently: the engine's
// probabilities are within 1e-6 of the f64 softmax (FALSIFY-MOE-ROUTER-005), so two experts
// closer than 1e-5 can swap. Only those tokens use the engine's choice in the oracle.
constexpr double kTieMargin = 1e-5;

void record_oracle(Context& ctx, const OracleComparison& c) {
  record_parity(ctx, c.worst);
  ctx.note(fmt::format("{} cases, {} near-tie tokens; worst {}", c.cases, c.near_ties, c.worst_case));
  if (ctx.any_failed()) ctx.fail_with(c.worst_case + "; reproduce: " + ctx.reproduce);
}

// AC_MOE_001: exact mode (f32 activations into every dot product) against the f64 oracle.
void oracle_001(Context& ctx) {
  auto eng = engine_for(ctx);
  auto m = load_run_model(ctx);
  record_oracle(ctx, compare_with_oracle(ctx, *eng, m->model, ActivationMode::exact, ctx.int_param("cases", 10),
                                         ctx.int_param("tokens", 8), kTieMargin));
}

// AC_MOE_002: q8 mode. Activations are quantised to Q8_K per 256 values: d = amax/127 and
// |x - d q| <= d/2, a relative error per value of at most 1/254 of the block maximum and, for
// the roughly Gaussian activations of a hidden state (amax ~ 3-4 sigma), an RMS error of about
// (d/2)/sqrt(3) ~ 0.008 sigma. It enters twice (x before gate/up, the SwiGLU output before
// down), each a relative perturbation of ~0.8% per dot product, independent across rows, so
// the output NMSE is about 2 * 0.008^2 = 1.3e-4 before the residual (which only lowers it);
// the contract's nmse <= 2e-3 leaves a factor of 15 for heavy-tailed activations, and
// cosine_min >= 0.999 corresponds to NMSE <= 2e-3 per token (cos ~ 1 - nmse/2).
void q8_001(Context& ctx) {
  auto eng = engine_for(ctx);
  auto m = load_run_model(ctx);
  record_oracle(ctx, compare_with_oracle(ctx, *eng, m->model, ActivationMode::q8, ctx.int_param("cases", 10),
                                         ctx.int_param("tokens", 8), kTieMargin));
}

// AC_MOE_003: the CPU engine against the numpy f64 sublayer of make_fixtures.py.
void golden_001(Context& ctx) {
  auto eng = engine_for(ctx);
  Golden g(ctx);
  const auto& c = g.manifest().at("moe_config");
  engine::MoeModel model;
  model.config = engine::MoeConfig{c.at("hidden").get<int>(), c.at("n_experts").get<int>(), c.at("top_k").get<int>(),
                                   c.at("expert_ffn").get<int>(), c.at("rms_eps").get<float>()};
  const int T = c.at("tokens").get<int>(), d = model.config.hidden, E = model.config.n_experts, F = model.config.expert_ffn;
  const auto h = g.npy("moe/h.npy"), norm = g.npy("moe/ffn_norm.npy"), router = g.npy("moe/router.npy");
  const auto want = g.npy("moe/expected.npy");
  const auto gate = g.bytes("moe/gate.bin"), up = g.bytes("moe/up.bin"), down = g.bytes("moe/down.bin");
  auto type = [&](const char* key) {
    auto t = q::type_from_name(c.at(key).get<std::string>());
    if (!t) throw FalsifierError(fmt::format("{}: unknown type in manifest moe_config.{}", ctx.id, key));
    return *t;
  };
  engine::MoeLayer L;
  L.ffn_norm = norm.data();
  L.router = router.data();
  L.gate = {"blk.0.ffn_gate_exps.weight", type("gate_type"), gate.data(), E, F, d};
  L.up = {"blk.0.ffn_up_exps.weight", type("up_type"), up.data(), E, F, d};
  L.down = {"blk.0.ffn_down_exps.weight", type("down_type"), down.data(), E, d, F};
  for (auto* t : {&L.gate, &L.up, &L.down})
    if (t->total_bytes() != (t == &L.gate ? gate : t == &L.up ? up : down).size())
      throw FalsifierError(fmt::format("{}: fixture {} has the wrong size for its shape", ctx.id, t->name));
  if (h.size() != std::size_t(T) * d || want.size() != h.size() || norm.size() != std::size_t(d) ||
      router.size() != std::size_t(E) * d)
    throw FalsifierError(fmt::format("{}: fixture arrays do not match moe_config", ctx.id));
  model.layers.push_back(L);
  eng->load(model);
  auto got = forward_layer(*eng, 0, h, T);
  ParityStats s = parity(got.hidden, want, T);
  record_parity(ctx, s);
  for (int t = 0; t < T && ctx.any_failed(); ++t)
    for (int i = 0; i < d; ++i) {
      const double err = std::fabs(double(got.hidden.at(std::size_t(t) * d + i)) - want[std::size_t(t) * d + i]);
      if (err >= s.max_abs_error) {
        ctx.fail_with(fmt::format("token {} column {}: engine {:.9g}, numpy f64 {:.9g}", t, i,
                                  got.hidden[std::size_t(t) * d + i], want[std::size_t(t) * d + i]));
        break;
      }
    }
  ctx.note(fmt::format("fixture: {} tokens, hidden {}, E {}, k {}", T, d, E, model.config.top_k));
}

// AC_MOE_004: one-token decode over `layers` layers of distinct Qwen3-30B-A3B-shaped weights
// (so no cache holds them), expert bytes read per second over the host read bandwidth.
// The roofline is a summing loop on every hardware thread (engine/bench/bandwidth.hpp), taken
// right before and right after each of kRounds decode benchmarks on the same model; a round
// compares its best mode with the mean of the two, and the falsifier checks the median round.
// Bracketing keeps a momentary swing of the loop's bandwidth from deciding the verdict. It does
// not remove the swings between runs on a shared host: on the 2-core development VM the decode
// read 34-35 GB/s in every run while the loop read 43-47 GB/s in most runs (fractions 0.76-0.78)
// and 60-66 GB/s in two (0.52 and 0.56: FAIL) - there the verdict follows the neighbours' load.
void cpu_throughput_001(Context& ctx) {
  constexpr int kRounds = 3;
  auto eng = engine_for(ctx);
  const int runs = ctx.int_param("runs", 5);
  engine::bench::BandwidthOptions bo;
  bo.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bo.reps = runs;
  auto roofline = [&] { return engine::bench::measure_bandwidth(bo).read_gbs; };
  auto bench = make_decode_bench(ctx, 8);
  std::vector<double> fractions;
  double read_sum = 0;
  for (int r = 0; r < kRounds; ++r) {
    const double before = roofline();
    measure_decode_bench(ctx, *eng, bench, runs);
    const double read_gbs = 0.5 * (before + roofline());
    double best = 0;
    for (const auto& p : bench.report.points) best = std::max(best, p.gb_per_second / read_gbs);
    fractions.push_back(best);
    read_sum += read_gbs;
    ctx.note(fmt::format("round {}: host read {:.1f} GB/s, fraction {:.3f}", r + 1, read_gbs, best));
  }
  for (const auto& p : bench.report.points)  // the last round's
    ctx.record(fmt::format("decode_gb_per_s_{}", engine::to_string(p.mode)), p.gb_per_second, "GB/s");
  ctx.record("host_read_gb_per_s", read_sum / kRounds, "GB/s");
  ctx.note(fmt::format("{} layers of {} experts, {} threads, host read {:.1f} GB/s (mean of {} rounds)",
                       bench.spec.layers, bench.spec.config.n_experts, bo.threads, read_sum / kRounds, kRounds));
  std::sort(fractions.begin(), fractions.end());
  ctx.check("decode_bandwidth_fraction", fractions[kRounds / 2]);
}

PV_FALSIFIER({"FALSIFY-QW3-MOE-ORACLE-001", "parity", {"engine/cpu", "engine/quant", "engine/reference", "engine/moe"}, &oracle_001});
PV_FALSIFIER({"FALSIFY-QW3-MOE-Q8-001", "parity", {"engine/cpu", "engine/quant", "engine/reference", "engine/moe"}, &q8_001});
PV_FALSIFIER({"FALSIFY-QW3-MOE-GOLDEN-001", "golden", {"engine/cpu", "engine/quant", "falsifiers/golden"}, &golden_001});
PV_FALSIFIER({"FALSIFY-QW3-MOE-CPU-THROUGHPUT-001", "performance", {"engine/cpu", "engine/quant", "engine/bench"}, &cpu_throughput_001});

}  // namespace
}  // namespace pv::falsify::suite
