// The fused decode stack (stack.cu) against the per-layer kernels (router.cu + decode.cu):
// the same values bitwise, hidden states and routing, on shapes that exercise its edges (one
// token and up to 16, a block's share of rows spanning two tokens, k > 32 (several chunks of
// down rows), E = k = 1, mixed types (the run-time format kernel) and Q4_K/Q6_K (the
// specialised one), hidden not a multiple of the 16 warps' share), in both modes, 3 layers.
#include <catch2/catch.hpp>

#include <cstring>
#include <initializer_list>

#include "engine/cuda/cuda_moe_engine.hpp"
#include "engine/cuda/tests/fixture.hpp"

using namespace pv::engine;
using namespace pv::engine::cuda_test;

namespace {

template <class V>
bool same_bytes(const V& a, const V& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0;
}

struct Shape { int hidden, ffn, E, k; quant::Type gate, up, down; };

void check_fused_equals_per_layer(cuda::CudaMoeEngine& gpu, const Shape& sh, std::initializer_list<int> tokens) {
  Spec s;
  s.hidden = sh.hidden; s.ffn = sh.ffn; s.n_experts = sh.E; s.top_k = sh.k;
  s.gate = sh.gate; s.up = sh.up; s.down = sh.down;
  s.layers = 3;
  s.pool_rows = 48;
  s.seed = 31;
  auto om = make_model(s);
  gpu.load(om->model);
  for (ActivationMode mode : {ActivationMode::exact, ActivationMode::q8}) {
    for (int T : tokens) {
      INFO("hidden=" << s.hidden << " ffn=" << s.ffn << " E=" << s.n_experts << " k=" << s.top_k
                     << " mode=" << to_string(mode) << " T=" << T);
      const auto h = hidden_states(T, s.hidden, 500 + std::uint64_t(T));
      ForwardOptions opt;
      opt.mode = mode;
      opt.capture_routing = true;
      gpu.set_fused_decode(true);
      if (!gpu.fused_decode_fits(0, 3, T, mode)) {
        // k = 33 f32 act vectors of 512 values per token (74 KB, two tokens per block from
        // T = 5 on) leave no room for the down rows; from T = 9 on, the tokens' f32 vectors
        // fill shared memory on the wider shapes. Those cases run the per-layer kernels (q8
        // from T = 9: the grouped batch path).
        CHECK((T > cuda::CudaMoeEngine::kDecodeMaxTokens || (s.top_k == 33 && mode == ActivationMode::exact)));
        continue;
      }
      const auto fused = gpu.forward(0, 3, h.data(), T, opt);
      gpu.set_fused_decode(false);
      const auto per_layer = gpu.forward(0, 3, h.data(), T, opt);
      CHECK(same_bytes(fused.hidden, per_layer.hidden));
      REQUIRE(fused.routing.size() == 3);
      for (int l = 0; l < 3; ++l) {
        CHECK(fused.routing[l].experts == per_layer.routing[l].experts);
        CHECK(same_bytes(fused.routing[l].weights, per_layer.routing[l].weights));
        CHECK(same_bytes(fused.routing[l].probs, per_layer.routing[l].probs));
      }
    }
  }
  gpu.set_fused_decode(true);
}

}  // namespace

// [sanitizer-slow]: left out of the compute-sanitizer runs (ci/gpu-run.sh), where racecheck
// alone would take minutes per shape; the "sanitizer-sized" case covers the same code there.
TEST_CASE("cuda: fused decode stack == per-layer kernels, bitwise, small shapes, T = 1..16, both modes",
          "[sanitizer-slow]") {
  auto engine = cuda_engine_or_skip();
  auto& gpu = dynamic_cast<cuda::CudaMoeEngine&>(*engine);
  using quant::Type;
  for (const Shape& sh : {Shape{256, 256, 8, 2, Type::Q4_K, Type::Q4_K, Type::Q6_K},
                          Shape{768, 512, 6, 3, Type::Q6_K, Type::Q8_0, Type::Q4_K},
                          Shape{256, 512, 40, 33, Type::Q6_K, Type::Q6_K, Type::Q8_0},
                          Shape{256, 256, 1, 1, Type::Q4_K, Type::Q4_K, Type::Q6_K}})
    check_fused_equals_per_layer(gpu, sh, {1, 2, 3, 5, 8, 9, 13, 16});
}

TEST_CASE("cuda: fused decode stack == per-layer kernels, bitwise, qwen3 expert shapes", "[sanitizer-slow]") {
  auto engine = cuda_engine_or_skip();
  auto& gpu = dynamic_cast<cuda::CudaMoeEngine&>(*engine);
  check_fused_equals_per_layer(gpu, Shape{2048, 768, 16, 8, quant::Type::Q4_K, quant::Type::Q4_K, quant::Type::Q6_K},
                               {1, 2, 3, 5, 8, 9, 12, 16});
}

// Both instantiations (Q4_K/Q6_K-specialised and run-time formats), one and several tokens.
TEST_CASE("cuda: fused decode stack == per-layer kernels, bitwise, sanitizer-sized") {
  auto engine = cuda_engine_or_skip();
  auto& gpu = dynamic_cast<cuda::CudaMoeEngine&>(*engine);
  using quant::Type;
  check_fused_equals_per_layer(gpu, Shape{256, 256, 8, 2, Type::Q4_K, Type::Q4_K, Type::Q6_K}, {1, 5});
  check_fused_equals_per_layer(gpu, Shape{768, 512, 6, 3, Type::Q6_K, Type::Q8_0, Type::Q4_K}, {3});
}

TEST_CASE("cuda: the fused decode stack is used only where it applies") {
  auto engine = cuda_engine_or_skip();
  auto& gpu = dynamic_cast<cuda::CudaMoeEngine&>(*engine);
  Spec s;
  auto om = make_model(s);
  gpu.load(om->model);
  CHECK(gpu.fused_decode_fits(0, 1, 1, ActivationMode::q8));
  CHECK(gpu.fused_decode_fits(0, 1, 8, ActivationMode::exact));
  CHECK(gpu.fused_decode_fits(0, 1, 16, ActivationMode::q8));
  CHECK_FALSE(gpu.fused_decode_fits(0, 1, cuda::CudaMoeEngine::kFusedMaxTokens + 1, ActivationMode::q8));  // grouped
  // Qwen3's shapes on a GPU with 227 KB of shared memory a block (H100, H200): the stack holds
  // 16 tokens in q8 mode (0.108-0.152 ms a layer on the H100 at T = 9..14, against 0.161-0.204
  // for the grouped path) and 9 in exact mode, whose f32 vectors are 2.5x larger.
  Spec q;
  q.hidden = 2048; q.ffn = 768; q.n_experts = 16; q.top_k = 8; q.pool_rows = 16;
  auto oq = make_model(q);
  gpu.load(oq->model);
  CHECK(gpu.fused_decode_fits(0, 1, 16, ActivationMode::q8));
  CHECK(gpu.fused_decode_fits(0, 1, 9, ActivationMode::exact));
  CHECK_FALSE(gpu.fused_decode_fits(0, 1, 10, ActivationMode::exact));
  gpu.set_fused_decode(false);
  CHECK_FALSE(gpu.fused_decode_fits(0, 1, 1, ActivationMode::q8));
}

// plan_stack is host code: the fused stack's fit and shared-memory layout are checked on every
// machine, GPU or not, for Qwen3's shapes on a device like the H100 (132 SMs, 227 KB of shared
// memory a block).
TEST_CASE("cuda: fused stack plan for Qwen3's shapes: where it fits, and a layout whose regions do not collide") {
  constexpr int kSms = 132, kOptin = 232448;
  auto plan = [](int T, bool q8, cuda::StackArgs& a) {
    a = cuda::StackArgs{};
    a.count = 48; a.tokens = T; a.top_k = 8; a.hidden = 2048; a.ffn = 768; a.n_experts = 128; a.q8 = q8;
    a.gate_row_bytes = a.up_row_bytes = 8 * 144;  // Q4_K rows of 2048 values
    a.down_row_bytes = 3 * 210;                    // Q6_K rows of 768 values
    return cuda::plan_stack(a, kSms, kOptin);
  };
  cuda::StackArgs a;
  for (bool q8 : {true, false})
    for (int T = 1; T <= 17; ++T) {
      INFO("q8=" << q8 << " T=" << T);
      const bool fits = plan(T, q8, a);
      CHECK(fits == (T <= (q8 ? 16 : 9)));
      if (!fits) continue;
      CHECK(a.blocks == kSms);
      // In order: x vectors, softmax scratch, selection, act vectors, phase-D scratch, rings;
      // phase R's f32 tokens start at the act vectors and must end inside the allocation.
      CHECK(a.off_pz >= std::size_t(T) * 2048);  // the x vectors: at least a byte a value
      CHECK(a.off_sel >= a.off_pz + std::size_t(T) * 128 * 4);
      CHECK(a.off_a >= a.off_sel + std::size_t(T) * 8 * 8);
      CHECK(a.off_scratch >= a.off_a + std::size_t(a.act_tokens) * 8 * 768);
      CHECK(a.off_u > a.off_scratch);
      CHECK(a.smem >= a.off_a + std::size_t(T) * 2048 * 4);
      CHECK(a.smem >= a.off_u + std::size_t(16) * a.gu_depth * 2 * (8 * 144));
      CHECK(a.smem <= std::size_t(kOptin));
      CHECK(a.gu_depth >= 1);
      CHECK(a.dn_depth >= 1);
      CHECK(a.off_a % 16 == 0);
      CHECK(a.off_u % 16 == 0);
    }
}
