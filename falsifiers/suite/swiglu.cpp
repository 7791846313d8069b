// swiglu-v1: FALSIFY-SWIGLU-001 (E = k = 1 equals a dense SwiGLU MLP computed here in f64)
// and FALSIFY-SWIGLU-002 (the engine's silu at extreme arguments, through the real code path).
#include <fmt/core.h>

#include <cmath>
#include <limits>

#include "engine/reference/dequant_f64.hpp"
#include "falsifiers/framework/metrics.hpp"
#include "falsifiers/framework/property.hpp"
#include "falsifiers/suite/common/engines.hpp"
#include "falsifiers/suite/common/owned_model.hpp"

namespace pv::falsify::suite {
namespace {

namespace q = engine::quant;

// Dense f64 SwiGLU of expert 0 with the residual: h + W_down (silu(W_gate x) * (W_up x)),
// x = RMSNorm(h). Dequantisation by engine/reference (its own f64 block decoding).
std::vector<double> dense_swiglu(const engine::MoeModel& m, const std::vector<float>& h, int T) {
  const auto& c = m.config;
  const auto& L = m.layers[0];
  std::vector<double> out(h.begin(), h.end()), x(c.hidden), act(c.expert_ffn);
  std::vector<std::vector<double>> gate(c.expert_ffn), up(c.expert_ffn), down(c.hidden);
  for (int r = 0; r < c.expert_ffn; ++r) {
    gate[r] = engine::reference::dequantise_row(L.gate, 0, r);
    up[r] = engine::reference::dequantise_row(L.up, 0, r);
  }
  for (int r = 0; r < c.hidden; ++r) down[r] = engine::reference::dequantise_row(L.down, 0, r);
  for (int t = 0; t < T; ++t) {
    const float* ht = &h[std::size_t(t) * c.hidden];
    double ss = 0;
    for (int i = 0; i < c.hidden; ++i) ss += double(ht[i]) * ht[i];
    const double inv = 1.0 / std::sqrt(ss / c.hidden + double(c.rms_eps));
    for (int i = 0; i < c.hidden; ++i) x[i] = ht[i] * inv * L.ffn_norm[i];
    for (int r = 0; r < c.expert_ffn; ++r) {
      double g = 0, u = 0;
      for (int i = 0; i < c.hidden; ++i) g += gate[r][i] * x[i], u += up[r][i] * x[i];
      act[r] = g / (1.0 + std::exp(-g)) * u;
    }
    for (int o = 0; o < c.hidden; ++o) {
      double y = 0;
      for (int r = 0; r < c.expert_ffn; ++r) y += down[o][r] * act[r];
      out[std::size_t(t) * c.hidden + o] += y;  // the single expert's weight is exactly 1
    }
  }
  return out;
}

void swiglu_001(Context& ctx) {
  auto eng = engine_for(ctx);
  PropertyOptions opt;
  opt.cases = ctx.int_param("cases", 20);
  property(ctx, "one expert equals dense SwiGLU", [&](Probe& p) {
    ModelSpec spec;
    spec.shape = MoeShape{256 * *rc::gen::inRange(1, 3), 1, 1, 256 * *rc::gen::inRange(1, 3), *rc::gen::inRange(1, 5)};
    spec.gate = spec.up = *rc::gen::element(q::Type::Q4_K, q::Type::Q6_K);
    spec.down = *rc::gen::element(q::Type::Q4_K, q::Type::Q6_K);
    spec.seed = *rc::gen::arbitrary<std::uint64_t>();
    const InputKind input = *rc::gen::element(InputKind::random, InputKind::large, InputKind::tiny);
    OwnedModel m = make_model(spec);
    Rng rng(spec.seed + 1);
    auto h = make_input(input, rng, spec.shape.tokens, spec.shape.hidden);
    p.describe(describe_config(m.model.config, spec.shape.tokens) + fmt::format(" gate/up={} down={} input={}",
               q::name(spec.gate), q::name(spec.down), to_string(input)));
    eng->load(m.model);
    auto r = forward_layer(*eng, 0, h, spec.shape.tokens);
    const auto want = dense_swiglu(m.model, h, spec.shape.tokens);
    if (r.hidden.size() != want.size()) {
      p.describe(fmt::format("output has {} values, expected {}", r.hidden.size(), want.size()));
      p.measure("max_rel_error", std::numeric_limits<double>::quiet_NaN());
      return;
    }
    p.measure("max_rel_error", parity(r.hidden, want, spec.shape.tokens).max_rel_error);
  }, opt);
}

// silu through the engine: E = k = 1, F32 experts, h = 1 everywhere and rms_eps = 1e-30
// (which vanishes next to mean(h^2) = 1 in f32 and f64), so RMSNorm(h) = 1 exactly. Gate row
// r has the single non-zero t_r (so gate.x = t_r exactly), up row r has 1 at column r, down
// is the identity: the output is 1 + silu(t_r) * 1, with only the final addition of 1 rounding
// (absolute 2^-24, inside the 1e-6 * max(1, |t|) scale of the metric).
std::vector<float> silu_grid(int n) {
  std::vector<float> g = {0.0f, -0.0f, 1e-45f, -1e-45f, 1e-38f, -1e-38f, 88.7f, -88.7f, 89.0f, -89.0f,
                          3e38f, -3e38f, 3.4e38f, -3.4e38f, 1.0f, -1.0f, 20.0f, -20.0f};
  for (int i = 0; static_cast<int>(g.size()) < n; ++i) {
    // log-spaced magnitudes 1e-30 .. 3e38, both signs
    const double e = -30 + (38.4 + 30) * (i % 997) / 996.0;
    const float v = static_cast<float>(std::pow(10.0, e));
    g.push_back(i % 2 ? -v : v);
  }
  g.resize(n);
  return g;
}

void swiglu_002(Context& ctx) {
  auto eng = engine_for(ctx);
  const int n = ctx.int_param("points", 2000), d = 256, F = 256;
  const auto grid = silu_grid(n);
  std::vector<float> norm(d, 1.0f), router(d, 0.0f);
  std::vector<std::uint8_t> gate(std::size_t(F) * d * 4), up(gate.size()), down(std::size_t(d) * F * 4);
  auto at = [](std::vector<std::uint8_t>& b, int row, int col, int cols) {
    return reinterpret_cast<float*>(b.data()) + std::size_t(row) * cols + col;
  };
  for (int r = 0; r < F; ++r) *at(up, r, r, d) = 1.0f;
  for (int r = 0; r < d; ++r) *at(down, r, r, F) = 1.0f;
  engine::MoeModel m;
  m.config = engine::MoeConfig{d, 1, 1, F, 1e-30f};
  engine::MoeLayer L;
  L.ffn_norm = norm.data();
  L.router = router.data();
  L.gate = {"blk.0.ffn_gate_exps.weight", q::Type::F32, gate.data(), 1, F, d};
  L.up = {"blk.0.ffn_up_exps.weight", q::Type::F32, up.data(), 1, F, d};
  L.down = {"blk.0.ffn_down_exps.weight", q::Type::F32, down.data(), 1, d, F};
  m.layers.push_back(L);
  eng->load(m);
  const std::vector<float> h(d, 1.0f);
  double worst = 0;
  for (int base = 0; base < n; base += F) {
    for (int r = 0; r < F; ++r) *at(gate, r, 0, d) = base + r < n ? grid[base + r] : 0.0f;
    auto res = forward_layer(*eng, 0, h, 1);
    for (int r = 0; r < F && base + r < n; ++r) {
      const double t = grid[base + r];
      const double want = t / (1.0 + std::exp(-t));
      const double got = double(res.hidden.at(r)) - 1.0;
      const double err = std::isfinite(got) ? std::fabs(got - want) / std::max(1.0, std::fabs(t)) : INFINITY;
      if (err > worst) {
        worst = err;
        if (!ctx.limit("max_abs_error").holds(err))
          ctx.fail_with(fmt::format("silu({:.9g}) = {:.9g}, f64 gives {:.9g}", t, got, want));
      }
    }
  }
  ctx.note(fmt::format("{} points from 1e-45 to 3.4e38, both signs", n));
  ctx.check("max_abs_error", worst);
}

PV_FALSIFIER({"FALSIFY-SWIGLU-001", "property", {"engine/cpu", "engine/cuda", "engine/quant", "engine/reference"}, &swiglu_001});
PV_FALSIFIER({"FALSIFY-SWIGLU-002", "property", {"engine/cpu"}, &swiglu_002});

}  // namespace
}  // namespace pv::falsify::suite
