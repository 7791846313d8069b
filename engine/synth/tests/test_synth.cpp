// Synthetic files: byte-identical for a seed (whatever the thread count), readable through the
// Qwen3-MoE view, weights close to their f32 source, and routing that spreads over experts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <iterator>

#include "engine/gguf/qwen3moe.hpp"
#include "engine/quant/dequant.hpp"
#include "engine/synth/rng.hpp"
#include "engine/synth/synth.hpp"

using namespace pv::engine;
using quant::Type;

namespace {
std::string tmp(const char* name) {  // per-process names: parallel ctest runs cannot collide
  return (std::filesystem::temp_directory_path() / (std::string(name) + std::to_string(getpid()) + ".gguf")).string();
}
std::vector<char> slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
}  // namespace

TEST_CASE("quant mix specs") {
  const auto m = synth::parse_quant_mix("llama-q4km", 48);
  const auto q6 = std::count_if(m.begin(), m.end(), [](auto& t) { return t.down == Type::Q6_K; });
  CHECK(q6 == 24);  // first and last 6, and 12 of the 36 in between
  CHECK(m[0].down == Type::Q6_K);
  CHECK(m[6].down == Type::Q4_K);
  CHECK(m[8].down == Type::Q6_K);
  CHECK(m[47].down == Type::Q6_K);
  CHECK(m[20].gate == Type::Q4_K);
  CHECK(synth::parse_quant_mix("q4k,q6k,q6k", 2)[1].up == Type::Q6_K);
  CHECK_THROWS_WITH(synth::parse_quant_mix("q5k", 1), Catch::Contains("q5k"));
  CHECK_THROWS_WITH(synth::parse_quant_mix("q4k,q8,q6k", 1), Catch::Contains("'q8'"));
  CHECK_THROWS_WITH(synth::preset("huge"), Catch::Contains("tiny, qwen3-30b-a3b"));
}

TEST_CASE("same seed, same bytes, any thread count; another seed differs") {
  synth::Options o;
  o.seed = 42;
  o.threads = 1;
  INFO("seed " << o.seed);
  synth::write_model(o, tmp("pv_synth_a_"));
  o.threads = 3;
  synth::write_model(o, tmp("pv_synth_b_"));
  o.seed = 43;
  synth::write_model(o, tmp("pv_synth_c_"));
  const auto a = slurp(tmp("pv_synth_a_")), b = slurp(tmp("pv_synth_b_")), c = slurp(tmp("pv_synth_c_"));
  CHECK(a.size() > 1000000);
  CHECK(a == b);
  CHECK(a != c);
  std::remove(tmp("pv_synth_b_").c_str());
  std::remove(tmp("pv_synth_c_").c_str());

  const gguf::File f = gguf::File::open(tmp("pv_synth_a_"));
  const MoeModel m = gguf::qwen3moe_model(f);
  CHECK(m.config.hidden == 256);
  CHECK(m.config.n_experts == 8);
  CHECK(m.config.top_k == 2);
  REQUIRE(m.layers.size() == 2);
  CHECK(m.layers[0].down.type == Type::Q4_K);  // llama-q4km, 2 layers: n/8 = 0, so only the
  CHECK(m.layers[1].down.type == Type::Q6_K);  // last eighth (layer >= 7*2/8 = 1) gets Q6_K

  // Dequantised expert rows track their f32 source (4-bit: relative RMS error ~0.1).
  synth::Options src;
  src.seed = 42;
  for (const char* kind : {"gate", "down"}) {
    const ExpertTensor& t = std::string(kind) == "gate" ? m.layers[1].gate : m.layers[0].down;
    const std::vector<float> x = synth::weight_row(src, t.name.find("blk.1") == 0 ? 1 : 0, kind, 5, 7);
    std::vector<float> y(x.size());
    quant::dequantize_row(t.type, t.expert(5) + 7 * t.row_bytes(), y.data(), static_cast<std::int64_t>(y.size()));
    double e = 0, s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) { e += (x[i] - y[i]) * double(x[i] - y[i]); s += x[i] * double(x[i]); }
    INFO(kind << " relative RMS error " << std::sqrt(e / s));
    CHECK(std::sqrt(e / s) < 0.13);
  }

  // Routing of random tokens: softmax over the router logits of RMSNorm(h) * ffn_norm.
  const std::uint64_t seed = 99;
  INFO("token seed " << seed);
  synth::Rng r(seed);
  const int T = 512, d = m.config.hidden, E = m.config.n_experts;
  for (const MoeLayer& L : m.layers) {
    std::vector<int> top1(E, 0);
    double mean_pmax = 0;
    for (int t = 0; t < T; ++t) {
      std::vector<float> h(d);
      double ss = 0;
      for (float& v : h) { v = r.gauss(); ss += v * double(v); }
      const double inv = 1.0 / std::sqrt(ss / d + m.config.rms_eps);
      std::vector<double> z(E);
      for (int e = 0; e < E; ++e)
        for (int i = 0; i < d; ++i) z[e] += double(L.router[e * d + i]) * h[i] * inv * L.ffn_norm[i];
      const double zmax = *std::max_element(z.begin(), z.end());
      double sum = 0;
      for (double& v : z) sum += (v = std::exp(v - zmax));
      const int best = static_cast<int>(std::max_element(z.begin(), z.end()) - z.begin());
      ++top1[best];
      mean_pmax += z[best] / sum / T;
    }
    const int most = *std::max_element(top1.begin(), top1.end());
    const auto used = std::count_if(top1.begin(), top1.end(), [](int c) { return c > 0; });
    INFO("top-1 counts max " << most << ", experts used " << used << ", mean max prob " << mean_pmax);
    CHECK(used == E);             // every expert wins some tokens
    CHECK(most < T / 2);          // none takes half of them
    CHECK(mean_pmax > 1.5 / E);   // not flat
    CHECK(mean_pmax < 0.9);       // not one-hot
  }
  std::remove(tmp("pv_synth_a_").c_str());
}
