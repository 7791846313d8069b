#include "engine/bench/quant_bench.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/bench/bandwidth.hpp"
#include "engine/quant/dequant.hpp"
#include "engine/quant/quantize.hpp"
#include "engine/synth/rng.hpp"

namespace pv::engine::bench {
namespace {

struct Ctx {
  quant::Type type;
  const std::uint8_t* rows;
  std::size_t row_bytes;
  int cols;
  const float* x;
  const quant::BlockQ8K* xq;
  quant::Isa isa;
  int op;  // 0 dequant, 1 dot_f32, 2 dot_q8k
  float* sink;
};

void run_rows(const void* p, std::size_t a, std::size_t b) {
  const auto& c = *static_cast<const Ctx*>(p);
  std::vector<float> tmp(static_cast<std::size_t>(c.cols));
  float acc = 0;
  for (std::size_t r = a; r < b; ++r) {
    const std::uint8_t* row = c.rows + r * c.row_bytes;
    if (c.op == 0) {
      quant::dequantize_row(c.type, row, tmp.data(), c.cols);
      acc += tmp[r % tmp.size()];
    } else if (c.op == 1) {
      acc += quant::dot_f32(c.type, row, c.x, c.cols, c.isa);
    } else {
      acc += quant::dot_q8k(c.type, row, c.xq, c.cols, c.isa);
    }
  }
  __atomic_fetch_add(reinterpret_cast<std::uint32_t*>(c.sink), static_cast<std::uint32_t>(acc != 0), __ATOMIC_RELAXED);
}

}  // namespace

std::vector<QuantBenchResult> run_quant_bench(const QuantBenchOptions& opt) {
  std::vector<QuantBenchResult> out;
  synth::Rng rng(12345);
  std::vector<float> x(static_cast<std::size_t>(opt.cols));
  for (float& v : x) v = rng.gauss();
  std::vector<quant::BlockQ8K> xq(static_cast<std::size_t>(opt.cols / quant::QK_K));
  quant::quantize_row_q8k(x.data(), xq.data(), opt.cols);
  float sink = 0;
  for (quant::Type t : opt.types) {
    const std::size_t rb = quant::row_bytes(t, opt.cols);
    const std::size_t n_rows = std::max<std::size_t>(1, opt.bytes / rb);
    // Quantise a few distinct rows properly, then tile them: realistic blocks, cheap setup.
    std::vector<std::uint8_t> rows(n_rows * rb);
    const std::size_t distinct = std::min<std::size_t>(n_rows, 64);
    std::vector<float> w(static_cast<std::size_t>(opt.cols));
    for (std::size_t r = 0; r < distinct; ++r) {
      for (float& v : w) v = 0.02f * rng.gauss();
      quant::quantize_row(t, w.data(), rows.data() + r * rb, opt.cols);
    }
    for (std::size_t r = distinct; r < n_rows; ++r)
      std::copy_n(rows.data() + (r % distinct) * rb, rb, rows.data() + r * rb);
    struct Case { int op; quant::Isa isa; const char* name; };
    std::vector<Case> cases = {{0, quant::Isa::scalar, "dequant"}};
    for (quant::Isa isa : {quant::Isa::scalar, quant::Isa::avx2}) {
      if (!quant::isa_supported(isa)) continue;
      cases.push_back({1, isa, "dot_f32"});
      cases.push_back({2, isa, "dot_q8k"});
    }
    for (const Case& cs : cases) {
      Ctx ctx{t, rows.data(), rb, opt.cols, x.data(), xq.data(), cs.isa, cs.op, &sink};
      double best = 1e30;
      for (int r = 0; r <= opt.reps; ++r) {  // r = 0 warms up
        const double s = timed_parallel(n_rows, opt.threads, &ctx, run_rows);
        if (r > 0) best = std::min(best, s);
      }
      const double bytes = static_cast<double>(n_rows * rb), values = static_cast<double>(n_rows) * opt.cols;
      out.push_back({t, cs.name, quant::to_string(cs.isa), bytes / best / 1e9, values / best / 1e9});
    }
  }
  return out;
}

}  // namespace pv::engine::bench
