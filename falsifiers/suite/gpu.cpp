// qwen3-moe-forward-gpu-v1: FALSIFY-QW3-MOE-GPU-PARITY-001, -ORACLE-001, -DETERMINISM-001,
// -MEMORY-001, -THROUGHPUT-001. All run on the cuda backend and SKIP where it is absent.
#include <fmt/core.h>

#include <cstring>

#include "engine/bench/moe_bench.hpp"
#include "falsifiers/framework/generators.hpp"
#include "falsifiers/framework/metrics.hpp"
#include "falsifiers/suite/common/decode_bench.hpp"
#include "falsifiers/suite/common/engines.hpp"
#include "falsifiers/suite/common/gpu_device.hpp"
#include "falsifiers/suite/common/oracle_compare.hpp"

namespace pv::falsify::suite {
namespace {

using engine::ActivationMode;

std::unique_ptr<engine::MoeEngine> cpu_engine(Context& ctx) {
  std::string why;
  auto e = engine::make_engine("cpu", &why);
  if (!e) throw FalsifierError(ctx.id + ": the CPU reference engine is unavailable: " + why);
  return e;
}

// AC_GPU_MOE_001: CUDA against the CPU engine in the same activation mode (each mode's
// quantisation is part of what is compared: the CPU uses Q8_K activations, CUDA Q8_1).
void gpu_parity(Context& ctx) {
  auto gpu = engine_for(ctx);
  auto cpu = cpu_engine(ctx);
  auto m = load_run_model(ctx);
  gpu->load(m->model);
  cpu->load(m->model);
  const int cases = ctx.int_param("cases", 10), T = ctx.int_param("tokens", 8);
  const int d = m->model.config.hidden, k = m->model.config.top_k;
  Rng rng(ctx.seed ^ 0x6E0);
  ParityStats worst;
  double experts_agree = 1;
  std::string worst_case;
  int n = 0;
  for (int c = 0; c < cases; ++c) {
    for (auto mode : {ActivationMode::exact, ActivationMode::q8}) {
      const int layer = static_cast<int>(rng.next() % m->model.layers.size());
      auto h = make_input(InputKind::random, rng, T, d);
      auto a = forward_layer(*gpu, layer, h, T, mode);
      auto b = forward_layer(*cpu, layer, h, T, mode);
      ParityStats s = parity(a.hidden, b.hidden, T);
      if (n == 0 || !(s.cosine_min >= worst.cosine_min))
        worst_case = fmt::format("layer {}, {} tokens, mode {}: cosine_min {:.9g}", layer, T, engine::to_string(mode), s.cosine_min);
      worst = n++ == 0 ? s : worst_of(worst, s);
      if (!a.routing.empty() && !b.routing.empty())
        experts_agree = std::min(experts_agree, expert_set_agreement(a.routing[0].experts, b.routing[0].experts, k));
    }
  }
  record_parity(ctx, worst);
  ctx.record("expert_set_agreement", experts_agree);
  ctx.note("worst: " + worst_case);
  if (ctx.any_failed()) ctx.fail_with(worst_case + "; reproduce: " + ctx.reproduce);
}

// AC_GPU_MOE_002: CUDA exact mode against the f64 oracle (near ties handled as on the CPU).
void gpu_oracle(Context& ctx) {
  auto gpu = engine_for(ctx);
  auto m = load_run_model(ctx);
  auto c = compare_with_oracle(ctx, *gpu, m->model, ActivationMode::exact, ctx.int_param("cases", 10),
                               ctx.int_param("tokens", 8), 1e-5);
  record_parity(ctx, c.worst);
  ctx.note(fmt::format("{} cases, {} near-tie tokens; worst {}", c.cases, c.near_ties, c.worst_case));
  if (ctx.any_failed()) ctx.fail_with(c.worst_case + "; reproduce: " + ctx.reproduce);
}

// AC_GPU_MOE_003: the same input gives bit-identical output on every run (decode and batch
// sizes, both modes): no atomics-order or race dependence.
void gpu_determinism(Context& ctx) {
  auto gpu = engine_for(ctx);
  auto m = load_run_model(ctx);
  gpu->load(m->model);
  const int runs = ctx.int_param("runs", 5), T = ctx.int_param("tokens", 8);
  // Also a batch large enough for the grouped (tensor-core) path, not only decode.
  const int big = ctx.int_param("max_tokens", 64);
  Rng rng(ctx.seed ^ 0xD7);
  double differing = 0;
  const int layers = static_cast<int>(m->model.layers.size());
  for (int tokens : {1, T, big}) {
    for (auto mode : {ActivationMode::exact, ActivationMode::q8}) {
      auto h = make_input(InputKind::random, rng, tokens, m->model.config.hidden);
      engine::ForwardOptions o;
      o.mode = mode;
      const auto first = gpu->forward(0, layers, h.data(), tokens, o).hidden;
      for (int r = 1; r < runs; ++r) {
        const auto again = gpu->forward(0, layers, h.data(), tokens, o).hidden;
        if (again.size() == first.size() && std::memcmp(again.data(), first.data(), first.size() * sizeof(float)) == 0) continue;
        ++differing;
        ctx.fail_with(fmt::format("run {} of {} tokens in {} mode through {} layers differs from run 0", r, tokens,
                                  engine::to_string(mode), layers));
      }
    }
  }
  ctx.check("differing_runs", differing);
}

// AC_GPU_MOE_004: expert weights live on the device in quantised form (bytes equal to the
// file's), and the whole process stays under the memory budget.
void gpu_memory_001(Context& ctx) {
  auto gpu = engine_for(ctx);
  auto m = load_run_model(ctx);
  gpu->load(m->model);
  std::vector<float> h(std::size_t(8) * m->model.config.hidden, 0.5f);
  gpu->forward(0, static_cast<int>(m->model.layers.size()), h.data(), 8, {});
  const auto mem = gpu_memory(ctx);
  const double quantised = static_cast<double>(m->model.expert_bytes());
  ctx.record("device_expert_bytes", static_cast<double>(gpu->device_expert_bytes()), "B");
  ctx.record("quantised_expert_bytes", quantised, "B");
  ctx.note(fmt::format("{}: {:.2f} of {:.2f} GB in use", mem.name, double(mem.total_bytes - mem.free_bytes) / 1e9, double(mem.total_bytes) / 1e9));
  ctx.check("expert_bytes_ratio", quantised > 0 ? double(gpu->device_expert_bytes()) / quantised : 0.0);
  ctx.check("gpu_memory_fraction", mem.total_bytes ? double(mem.total_bytes - mem.free_bytes) / double(mem.total_bytes) : 1.0);
}

// AC_GPU_MOE_005: one-token decode over `layers` layers of distinct Qwen3-30B-A3B-shaped
// weights (far more than the 50 MB L2), against the device-to-device copy bandwidth.
void gpu_throughput(Context& ctx) {
  auto gpu = engine_for(ctx);
  const int runs = ctx.int_param("runs", 5);
  const auto bench = run_decode_bench(ctx, *gpu, 48, runs);
  const auto& spec = bench.spec;
  const auto& rep = bench.report;
  const double copy = gpu_copy_bandwidth(ctx, std::size_t(1) << 30, runs);
  double fraction = 0, tokens_per_s = 0;
  for (const auto& p : rep.points) {
    ctx.record(fmt::format("decode_gb_per_s_{}", engine::to_string(p.mode)), p.gb_per_second, "GB/s");
    fraction = std::max(fraction, p.gb_per_second * 1e9 / copy);
    tokens_per_s = std::max(tokens_per_s, 1.0 / (p.seconds_per_layer * spec.layers));
  }
  ctx.record("copy_gb_per_s", copy / 1e9, "GB/s");
  ctx.note(fmt::format("{} layers, copy bandwidth {:.0f} GB/s (read + write)", spec.layers, copy / 1e9));
  ctx.check("decode_copy_bandwidth_fraction", fraction);
  ctx.check("stack_tokens_per_s", tokens_per_s);
}

PV_FALSIFIER({"FALSIFY-QW3-MOE-GPU-PARITY-001", "parity", {"engine/cuda", "engine/cpu", "engine/moe"}, &gpu_parity});
PV_FALSIFIER({"FALSIFY-QW3-MOE-GPU-ORACLE-001", "parity", {"engine/cuda", "engine/reference", "engine/moe"}, &gpu_oracle});
PV_FALSIFIER({"FALSIFY-QW3-MOE-GPU-DETERMINISM-001", "property", {"engine/cuda", "engine/moe"}, &gpu_determinism});
PV_FALSIFIER({"FALSIFY-QW3-MOE-GPU-MEMORY-001", "performance", {"engine/cuda", "engine/moe"}, &gpu_memory_001});
PV_FALSIFIER({"FALSIFY-QW3-MOE-GPU-THROUGHPUT-001", "performance", {"engine/cuda", "engine/bench"}, &gpu_throughput});

}  // namespace
}  // namespace pv::falsify::suite
