#pragma once
// Division by a run-time divisor with one multiply-high, an add and a shift (Granlund and
// Montgomery, "Division by invariant integers using multiplication", 1994, section 4). The
// fused stack kernel splits every work item's index into (pair, row) or (token, row); the
// compiler's division by a run-time int was ~20 dependent instructions an item, a tenth of the
// whole gate/up item (ncu, reports/gpu/h100-2026-11-26-lean/).
// Valid for 1 <= d < 2^31 and 0 <= n < 2^31, which keeps t + n below 2^32: the stack's item
// indices are below 2^31 (plan_stack checks).
#include <cstdint>

#ifndef __CUDACC__
#define PV_HD
#else
#define PV_HD __host__ __device__
#endif

namespace pv::engine::cuda {

struct FastDiv {
  std::uint32_t d = 1, m = 1, s = 0;  // the divisor, the magic multiplier, the shift
  FastDiv() = default;
  // s = ceil(log2 d); m = floor(2^32 (2^s - d) / d) + 1, which fits 32 bits for d < 2^31.
  explicit FastDiv(std::uint32_t divisor) : d(divisor) {
    while ((std::uint64_t(1) << s) < d) ++s;
    m = std::uint32_t(((std::uint64_t(1) << 32) * ((std::uint64_t(1) << s) - d)) / d + 1);
  }
  PV_HD std::uint32_t div(std::uint32_t n) const {
#ifdef __CUDA_ARCH__
    const std::uint32_t t = __umulhi(n, m);
#else
    const std::uint32_t t = std::uint32_t((std::uint64_t(n) * m) >> 32);
#endif
    return (t + n) >> s;
  }
  PV_HD int div(int n) const { return int(div(std::uint32_t(n))); }
};

}  // namespace pv::engine::cuda

#undef PV_HD
