#include "engine/quant/dot.hpp"

#include <stdexcept>
#include <string>

#include "engine/quant/dequant.hpp"
#include "engine/quant/dot_impl.hpp"

namespace pv::engine::quant {

const char* to_string(Isa isa) { return isa == Isa::avx2 ? "avx2" : "scalar"; }

bool isa_supported(Isa isa) {
  if (isa == Isa::scalar) return true;
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2;
}

Isa best_isa() { return isa_supported(Isa::avx2) ? Isa::avx2 : Isa::scalar; }

namespace {
void check_isa(Isa isa, const char* what) {
  if (!isa_supported(isa))
    throw std::invalid_argument(std::string(what) + ": this CPU lacks " + to_string(isa));
}
}  // namespace

float dot_f32(Type t, const void* row, const float* x, std::int64_t n, Isa isa) {
  check_row_length(t, n, "dot_f32");
  check_isa(isa, "dot_f32");
  return dot_f32_unchecked(t, row, x, n, isa);
}

float dot_f32_unchecked(Type t, const void* row, const float* x, std::int64_t n, Isa isa) {
  const auto* r = static_cast<const std::uint8_t*>(row);
  const int id = static_cast<int>(t);
  float out = 0;
  if (isa == Isa::avx2 && detail::dot_f32_avx2(id, r, x, n, &out)) return out;
  return detail::dot_f32_scalar(id, r, x, n);
}

float dot_q8k(Type t, const void* row, const BlockQ8K* x, std::int64_t n, Isa isa) {
  check_row_length(t, n, "dot_q8k");
  if (n % QK_K != 0)
    throw std::invalid_argument("dot_q8k: " + std::to_string(n) +
                                " values is not a multiple of the Q8_K block (256)");
  check_isa(isa, "dot_q8k");
  const auto* r = static_cast<const std::uint8_t*>(row);
  const int id = static_cast<int>(t);
  float out = 0;
  if (isa == Isa::avx2 && detail::dot_q8k_avx2(id, r, x, n, &out)) return out;
  return detail::dot_q8k_scalar(id, r, x, n);
}

double dot_f32_bound(std::int64_t n, double sum_abs_products) {
  const double u = 0x1p-24;
  const double nu = static_cast<double>(n) * u;
  return 2.0 * nu / (1.0 - nu) * sum_abs_products;
}

}  // namespace pv::engine::quant
