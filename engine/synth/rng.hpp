#pragma once
// A fixed, portable PRNG for synthetic weights and property tests: splitmix64 seeding a
// xoshiro256** generator. Only integer arithmetic and exact float conversions are used, so the
// same seed gives the same numbers with any compiler, libm or machine (std::normal_distribution
// is implementation-defined and would break byte-identical `pv synth` output).
#include <cstdint>

namespace pv::engine::synth {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& w : s_) w = splitmix(seed);
  }
  std::uint64_t next() {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0]; s_[3] ^= s_[1]; s_[1] ^= s_[2]; s_[0] ^= s_[3];
    s_[2] ^= t; s_[3] = rotl(s_[3], 45);
    return r;
  }
  // Uniform in [0, 1) with 24 random bits: exact in f32.
  float uniform() { return static_cast<float>(next() >> 40) * 0x1p-24f; }
  // Uniform integer in [0, n).
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>((next() >> 32) * n >> 32); }
  // Approximately standard normal: Irwin-Hall sum of 12 uniforms minus 6 (mean 0, variance 1,
  // support [-6, 6]). No transcendental functions, hence portable; heavier tails are added
  // explicitly by the callers that need outliers.
  float gauss() {
    float s = 0;
    for (int i = 0; i < 12; ++i) s += uniform();
    return s - 6.0f;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t s_[4];
};

}  // namespace pv::engine::synth
