#include "engine/cpu/dot_exact.hpp"

#include <cstring>

#include "engine/quant/avx2.hpp"
#include "engine/quant/blocks.hpp"
#include "engine/quant/f16.hpp"
#include "engine/quant/scales.hpp"

namespace pv::engine::cpu {
namespace {

using namespace quant::avx2;

// engine/quant's f32 Q4_K kernel for two rows (an expert's gate and up) against the same x:
// each row keeps its own four accumulators and the same per-lane operations (fma32_affine's),
// so each result has quant::dot_f32's bits; x is loaded once for both.
PV_AVX2 void q4k_row_pair(const std::uint8_t* ra, const std::uint8_t* rb, const float* x, int nb, float* out_a,
                          float* out_b) {
  __m256 aa[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  __m256 ab[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  alignas(32) std::uint8_t qa[quant::QK_K], qb[quant::QK_K];
  for (int i = 0; i < nb; ++i) {
    const std::uint8_t* ba = ra + std::size_t(i) * sizeof(quant::BlockQ4K);
    const std::uint8_t* bb = rb + std::size_t(i) * sizeof(quant::BlockQ4K);
    std::uint16_t h[4];
    std::memcpy(&h[0], ba, 4);
    std::memcpy(&h[2], bb, 4);
    const float da = quant::f16_to_f32(h[0]), dma = quant::f16_to_f32(h[1]);
    const float db = quant::f16_to_f32(h[2]), dmb = quant::f16_to_f32(h[3]);
    const quant::ScaleMin sa = quant::unpack_q4k_scales(ba + 4), sb = quant::unpack_q4k_scales(bb + 4);
    q4k_quants(ba + 16, qa);
    q4k_quants(bb + 16, qb);
    const float* xb = x + std::size_t(i) * quant::QK_K;
    for (int j = 0; j < 8; ++j) {
      const __m256 vsa = _mm256_set1_ps(da * static_cast<float>(sa.sc[j])), vma = _mm256_set1_ps(dma * static_cast<float>(sa.m[j]));
      const __m256 vsb = _mm256_set1_ps(db * static_cast<float>(sb.sc[j])), vmb = _mm256_set1_ps(dmb * static_cast<float>(sb.m[j]));
#pragma GCC unroll 4
      for (int g = 0; g < 4; ++g) {
        const __m256 xv = _mm256_loadu_ps(xb + 32 * j + 8 * g);
        const __m256i qia = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(qa + 32 * j + 8 * g)));
        const __m256i qib = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(qb + 32 * j + 8 * g)));
        aa[g] = _mm256_fmadd_ps(_mm256_sub_ps(_mm256_mul_ps(vsa, _mm256_cvtepi32_ps(qia)), vma), xv, aa[g]);
        ab[g] = _mm256_fmadd_ps(_mm256_sub_ps(_mm256_mul_ps(vsb, _mm256_cvtepi32_ps(qib)), vmb), xv, ab[g]);
      }
    }
  }
  *out_a = hsum_f32(_mm256_add_ps(_mm256_add_ps(aa[0], aa[1]), _mm256_add_ps(aa[2], aa[3])));
  *out_b = hsum_f32(_mm256_add_ps(_mm256_add_ps(ab[0], ab[1]), _mm256_add_ps(ab[2], ab[3])));
}

}  // namespace

void dot_f32_row_pair(quant::Type t, const std::uint8_t* row_a, const std::uint8_t* row_b, const float* x, int n,
                      float* out_a, float* out_b, quant::Isa isa) {
  if (isa == quant::Isa::avx2 && t == quant::Type::Q4_K)
    return q4k_row_pair(row_a, row_b, x, n / quant::QK_K, out_a, out_b);
  *out_a = quant::dot_f32_unchecked(t, row_a, x, n, isa);
  *out_b = quant::dot_f32_unchecked(t, row_b, x, n, isa);
}

}  // namespace pv::engine::cpu
