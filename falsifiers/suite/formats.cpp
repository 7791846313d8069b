// q4k-q6k-superblock-v1: FALSIFY-QK-GOLDEN-001, -ROUNDTRIP-001, -DOT-001, -FINITE-001.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/quant/dequant.hpp"
#include "engine/quant/dot.hpp"
#include "engine/quant/quantize.hpp"
#include "falsifiers/framework/property.hpp"
#include "falsifiers/framework/generators.hpp"
#include "falsifiers/suite/common/golden.hpp"

namespace pv::falsify::suite {
namespace {

namespace q = engine::quant;

std::uint32_t bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// AC_QK_001: the engine's dequantisation equals the gguf package's bit for bit, on random
// and adversarial blocks (fixtures from falsifiers/golden/make_fixtures.py).
void qk_golden(Context& ctx) {
  Golden g(ctx);
  double mismatched = 0;
  std::size_t total = 0;
  for (auto [name, type] : {std::pair{"q4_k", q::Type::Q4_K}, {"q6_k", q::Type::Q6_K}, {"q8_0", q::Type::Q8_0}}) {
    const auto blocks = g.bytes(fmt::format("qk/{}.blocks.bin", name));
    const auto want = g.npy(fmt::format("qk/{}.expected.npy", name));
    const auto& kinds = g.manifest().at("files").at(fmt::format("qk/{}.blocks.bin", name)).at("kinds");
    const auto& ti = q::info(type);
    if (blocks.size() / ti.block_bytes * ti.block_values != want.size())
      throw FalsifierError(fmt::format("fixture qk/{}: {} block bytes but {} expected values", name, blocks.size(), want.size()));
    std::vector<float> got(want.size());
    q::dequantize_row(type, blocks.data(), got.data(), static_cast<std::int64_t>(got.size()));
    for (std::size_t i = 0; i < got.size(); ++i) {
      if (bits(got[i]) == bits(want[i])) continue;
      ++mismatched;
      const std::size_t blk = i / ti.block_values;
      ctx.fail_with(fmt::format("{} block {} ({} block), value {}: engine {:.9g}, gguf package {:.9g}", ti.name, blk,
                                kinds.at(blk).get<std::string>(), i % ti.block_values, got[i], want[i]));
    }
    total += got.size();
  }
  ctx.note(fmt::format("{} values of Q4_K, Q6_K and Q8_0 blocks compared bit for bit", total));
  ctx.check("mismatched_values", mismatched);
}

// Error bound of quantise-then-dequantise for one block of values x (n = block size).
//  Q8_0: d = amax/127 is stored as f16 d' with |d' - d| <= 2^-11 d; q = round(x/d) in
//        [-127, 127], so |x - d' q| <= d/2 + 127 |d - d'| <= (0.5 + 0.062) d. Bound 0.6 d.
//  Q6_K: 16 sub-blocks with a step s_j <= amax/32 (q - 32 in [-32, 31]); the 8-bit sub-block
//        scale is rounded to d/2 with d = max s_j / 128, moving a value by at most
//        32 * max s_j / 256 = max s_j / 8; plus half a step: (0.5 + 0.125 + f16 2^-11 * 32) s.
//        Bound: one full step of the widest sub-block, amax / 32.
//  Q4_K: 8 sub-blocks, q in [0, 15], value d*sc*q - dmin*m; with R = max(x) - min(0, min(x)),
//        the widest sub-block step is <= R/15. Half a step, plus 6-bit rounding of the scale
//        (<= 15 * (R/15)/126 = 0.12 step) and of the min (<= 0.5 * (R/15)*... <= 0.12 step),
//        plus f16 rounding of d and dmin (<= 2^-11 * R = 0.007 step): <= 0.75 step. Bound: R/15.
// A relative slack of 1e-6 covers the f32 arithmetic of the dequantiser.
double block_bound(q::Type t, const float* x, int n) {
  double amax = 0, mx = 0, mn = 0;
  for (int i = 0; i < n; ++i) {
    amax = std::max(amax, std::fabs(double(x[i])));
    mx = std::max(mx, double(x[i]));
    mn = std::min(mn, double(x[i]));
  }
  double b = 0;
  switch (t) {
    case q::Type::Q8_0: b = 0.6 * amax / 127; break;
    case q::Type::Q6_K: b = amax / 32; break;
    case q::Type::Q4_K: b = (mx - mn) / 15; break;
    default: throw FalsifierError("no error bound derived for this type");
  }
  return b * (1 + 1e-6) + 1e-30;
}

void qk_roundtrip(Context& ctx) {
  PropertyOptions opt;
  opt.cases = ctx.int_param("cases", 200);
  property(ctx, "quantise/dequantise within the derived bound", [&](Probe& p) {
    const q::Type type = *rc::gen::element(q::Type::Q4_K, q::Type::Q6_K, q::Type::Q8_0);
    const int blocks = *rc::gen::inRange(1, 5);
    // sigma 2^-6 .. 2^8 keeps d inside normal f16 (the bound assumes it).
    const int scale_exp = *rc::gen::inRange(-6, 9);
    const int shape = *rc::gen::inRange(0, 4);  // 0 gaussian, 1 positive-shifted, 2 outliers, 3 constant
    const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
    Rng rng(seed);
    const int n = blocks * 256;
    std::vector<float> x(n), y(n);
    const float sigma = std::ldexp(1.0f, scale_exp);
    const float c = rng.normal() * sigma;
    for (int i = 0; i < n; ++i) {
      float v = rng.normal() * sigma;
      if (shape == 1) v = std::fabs(v) + sigma;
      if (shape == 2 && rng.next() % 32 == 0) v *= 20;
      if (shape == 3) v = c;
      x[i] = v;
    }
    std::vector<std::uint8_t> buf(q::row_bytes(type, n));
    q::quantize_row(type, x.data(), buf.data(), n);
    q::dequantize_row(type, buf.data(), y.data(), n);
    const int bs = q::info(type).block_values;
    double worst = 0;
    for (int b0 = 0; b0 < n; b0 += bs) {
      const double bound = block_bound(type, &x[b0], bs);
      for (int i = b0; i < b0 + bs; ++i) {
        const double r = std::fabs(double(x[i]) - y[i]) / bound;
        if (!(r <= worst)) {
          worst = std::isnan(r) ? std::numeric_limits<double>::quiet_NaN() : r;
          p.describe(fmt::format("{}: x[{}] = {:.9g} came back as {:.9g}, bound {:.3g}", q::name(type), i, x[i], y[i], bound));
        }
      }
    }
    p.measure("max_error_over_bound", worst);
  }, opt);
}

// AC_QK_003: AVX2 equals scalar. Q8_K-activation dot products are integer sums followed by
// the same f32 steps, so they must agree bit for bit; f32-activation dot products differ
// only in summation order, measured as |avx2 - scalar| / sum |w_i x_i| (see dot.hpp).
void qk_dot(Context& ctx) {
  if (!q::isa_supported(q::Isa::avx2)) ctx.skip("this CPU has no AVX2+FMA: nothing to compare the scalar path with");
  PropertyOptions opt;
  opt.cases = ctx.int_param("cases", 200);
  property(ctx, "AVX2 dot products equal scalar", [&](Probe& p) {
    const q::Type type = *rc::gen::element(q::Type::Q4_K, q::Type::Q6_K, q::Type::Q8_0);
    const int n = 256 * *rc::gen::inRange(1, 9);
    const BlockKind kind = *gen_block_kind();
    const InputKind input = *rc::gen::element(InputKind::random, InputKind::large, InputKind::tiny, InputKind::constant);
    const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
    Rng rng(seed);
    std::vector<std::uint8_t> w(q::row_bytes(type, n));
    fill_blocks(type, kind, rng, w.data(), w.size() / q::info(type).block_bytes);
    auto x = make_input(input, rng, 1, n);
    std::vector<q::BlockQ8K> xq(n / 256);
    q::quantize_row_q8k(x.data(), xq.data(), n);
    const float i_avx = q::dot_q8k(type, w.data(), xq.data(), n, q::Isa::avx2);
    const float i_sca = q::dot_q8k(type, w.data(), xq.data(), n, q::Isa::scalar);
    const float f_avx = q::dot_f32(type, w.data(), x.data(), n, q::Isa::avx2);
    const float f_sca = q::dot_f32(type, w.data(), x.data(), n, q::Isa::scalar);
    std::vector<float> wf(n);
    q::dequantize_row(type, w.data(), wf.data(), n);
    double sum_abs = 0;
    for (int i = 0; i < n; ++i) sum_abs += std::fabs(double(wf[i]) * x[i]);
    // Both kinds of dot product, relative to sum |w_i x_i| (the contract's derivation).
    auto rel_of = [&](float a, float b) { return sum_abs > 0 ? std::fabs(double(a) - b) / sum_abs : (a == b ? 0.0 : INFINITY); };
    const double rel = std::max(rel_of(f_avx, f_sca), rel_of(i_avx, i_sca));
    p.describe(fmt::format("{} n={} blocks={} input={}: q8k avx2 {:.9g} scalar {:.9g}; f32 avx2 {:.9g} scalar {:.9g}",
                           q::name(type), n, to_string(kind), to_string(input), i_avx, i_sca, f_avx, f_sca));
    p.measure("integer_mismatches", bits(i_avx) == bits(i_sca) ? 0.0 : 1.0);
    p.measure("max_rel_error", rel);
  }, opt);
}

// AC_QK_004: blocks with zero, subnormal and largest-finite f16 scales and all-max quants
// dequantise to finite values (65504 * 63 * 15 = 6.2e7 for Q4_K is far inside f32), and their
// f32 dot products with unit activations stay finite too.
void qk_finite(Context& ctx) {
  PropertyOptions opt;
  opt.cases = ctx.int_param("cases", 100);
  property(ctx, "adversarial blocks dequantise to finite values", [&](Probe& p) {
    const q::Type type = *rc::gen::element(q::Type::Q4_K, q::Type::Q6_K, q::Type::Q8_0);
    const BlockKind kind = *gen_adversarial_block_kind();
    const int n = 256 * *rc::gen::inRange(1, 5);
    Rng rng(*rc::gen::arbitrary<std::uint64_t>());
    std::vector<std::uint8_t> w(q::row_bytes(type, n));
    fill_blocks(type, kind, rng, w.data(), w.size() / q::info(type).block_bytes);
    std::vector<float> y(n), ones(n, 1.0f);
    q::dequantize_row(type, w.data(), y.data(), n);
    double bad = 0;
    for (float v : y) bad += !std::isfinite(v);
    for (auto isa : {q::Isa::scalar, q::best_isa()}) bad += !std::isfinite(q::dot_f32(type, w.data(), ones.data(), n, isa));
    p.describe(fmt::format("{} {} blocks, n={}", q::name(type), to_string(kind), n));
    p.measure("non_finite_values", bad);
  }, opt);
}

PV_FALSIFIER({"FALSIFY-QK-GOLDEN-001", "golden", {"engine/quant", "falsifiers/golden"}, &qk_golden});
PV_FALSIFIER({"FALSIFY-QK-ROUNDTRIP-001", "property", {"engine/quant"}, &qk_roundtrip});
PV_FALSIFIER({"FALSIFY-QK-DOT-001", "property", {"engine/quant"}, &qk_dot});
PV_FALSIFIER({"FALSIFY-QK-FINITE-001", "property", {"engine/quant"}, &qk_finite});

}  // namespace
}  // namespace pv::falsify::suite
