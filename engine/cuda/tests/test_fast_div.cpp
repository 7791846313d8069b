// FastDiv (fast_div.hpp) against the division operator, host code run on every machine. The
// device computes the same expression with __umulhi; the fused stack's bitwise tests cover it
// there (a wrong quotient stages the wrong row).
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "engine/cuda/fast_div.hpp"

using pv::engine::cuda::FastDiv;

namespace {
// The quotients around every multiple boundary the stack's indices cross, and random ones.
void check_divisor(std::uint32_t d, std::mt19937& rng) {
  const FastDiv f(d);
  const std::uint32_t top = (1u << 31) - 1;
  std::vector<std::uint32_t> ns = {0, 1, d - 1, d, d + 1, top, top - 1};
  for (std::uint32_t q : {1u, 2u, 3u, 7u, 1000u, 65537u, top / d, top / d - 1})
    for (std::int64_t delta : {-1, 0, 1}) {
      const std::int64_t n = std::int64_t(q) * d + delta;
      if (n >= 0 && n <= top) ns.push_back(std::uint32_t(n));
    }
  std::uniform_int_distribution<std::uint32_t> any(0, top);
  for (int i = 0; i < 64; ++i) ns.push_back(any(rng));
  for (std::uint32_t n : ns)
    if (f.div(n) != n / d) FAIL("d=" << d << " n=" << n << ": " << f.div(n) << " != " << n / d);
}
}  // namespace

TEST_CASE("cuda: FastDiv gives n / d for 1 <= d < 2^31 and 0 <= n < 2^31") {
  std::mt19937 rng(20261126);  // seed printed by the failure's d and n, which reproduce it alone
  for (std::uint32_t d = 1; d <= 4096; ++d) check_divisor(d, rng);
  for (std::uint32_t d : {768u, 1536u, 2048u, 6144u, 24576u, 65535u, 65536u, 1000003u, (1u << 30) + 1, (1u << 31) - 1})
    check_divisor(d, rng);
  CHECK(FastDiv(768).div(6143) == 7);
  CHECK(FastDiv(8).div(int(127)) == 15);
}
