#include "engine/cpu/dot_exact.hpp"

#include <immintrin.h>

#include <cstring>

#include "engine/quant/blocks.hpp"
#include "engine/quant/f16.hpp"
#include "engine/quant/scales.hpp"

#define PV_AVX2 __attribute__((target("avx2,fma")))

namespace pv::engine::cpu {
namespace {

PV_AVX2 inline float hsum_f32(__m256 v) {  // as engine/quant's: (lo + hi), then pairs
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// acc[g] += ((s * q) - m) * x over 32 values (unsigned q in a stack buffer written as whole
// 32-byte vectors, read 8 at a time: forwarding-friendly), never fused before the last step.
PV_AVX2 inline void fma32_affine(const std::uint8_t* q, float s, float m, const float* x, __m256* acc) {
  const __m256 vs = _mm256_set1_ps(s), vm = _mm256_set1_ps(m);
  for (int g = 0; g < 4; ++g) {
    const __m256i qi = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 8 * g)));
    const __m256 w = _mm256_sub_ps(_mm256_mul_ps(vs, _mm256_cvtepi32_ps(qi)), vm);
    acc[g] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 8 * g), acc[g]);
  }
}

PV_AVX2 inline void fma16_signed(const std::int8_t* q, float s, const float* x, __m256* acc) {
  const __m256 vs = _mm256_set1_ps(s);
  for (int g = 0; g < 2; ++g) {
    const __m256i qi = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 8 * g)));
    acc[g] = _mm256_fmadd_ps(_mm256_mul_ps(vs, _mm256_cvtepi32_ps(qi)), _mm256_loadu_ps(x + 8 * g), acc[g]);
  }
}

PV_AVX2 float q4k_row(const std::uint8_t* row, const float* x, int nb) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  alignas(32) std::uint8_t q[quant::QK_K];
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int i = 0; i < nb; ++i) {
    const std::uint8_t* blk = row + std::size_t(i) * sizeof(quant::BlockQ4K);  // d, dmin, scales[12], qs[128]
    std::uint16_t dh, mh;
    std::memcpy(&dh, blk, 2);
    std::memcpy(&mh, blk + 2, 2);
    const float d = quant::f16_to_f32(dh), dmin = quant::f16_to_f32(mh);
    const quant::ScaleMin s = quant::unpack_q4k_scales(blk + 4);
    for (int c = 0; c < 4; ++c) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16 + 32 * c));
      _mm256_store_si256(reinterpret_cast<__m256i*>(q + 64 * c), _mm256_and_si256(v, m4));
      _mm256_store_si256(reinterpret_cast<__m256i*>(q + 64 * c + 32), _mm256_and_si256(_mm256_srli_epi16(v, 4), m4));
    }
    const float* xb = x + std::size_t(i) * quant::QK_K;
    for (int j = 0; j < 8; ++j)
      fma32_affine(q + 32 * j, d * static_cast<float>(s.sc[j]), dmin * static_cast<float>(s.m[j]), xb + 32 * j, acc);
  }
  return hsum_f32(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
}

PV_AVX2 float q6k_row(const std::uint8_t* row, const float* x, int nb) {
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  alignas(32) std::int8_t q[quant::QK_K];
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3), k32 = _mm256_set1_epi8(32);
  for (int i = 0; i < nb; ++i) {
    const std::uint8_t* blk = row + std::size_t(i) * sizeof(quant::BlockQ6K);  // ql[128], qh[64], scales[16], d
    for (int h = 0; h < 2; ++h) {  // the value order of engine/quant's q6k_values
      const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 64 * h));
      const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 64 * h + 32));
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * h));
      const __m256i lo[4] = {_mm256_and_si256(ql0, m4), _mm256_and_si256(ql1, m4),
                             _mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                             _mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4)};
      for (int k = 0; k < 4; ++k) {
        const __m256i hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), m2), 4);
        _mm256_store_si256(reinterpret_cast<__m256i*>(q + 128 * h + 32 * k), _mm256_sub_epi8(_mm256_or_si256(lo[k], hi), k32));
      }
    }
    std::uint16_t dh;
    std::memcpy(&dh, blk + 208, 2);
    const float d = quant::f16_to_f32(dh);
    const auto* scales = reinterpret_cast<const std::int8_t*>(blk + 192);
    for (int j = 0; j < 16; ++j)
      fma16_signed(q + 16 * j, d * static_cast<float>(scales[j]), x + std::size_t(i) * quant::QK_K + 16 * j, acc);
  }
  return hsum_f32(_mm256_add_ps(acc[0], acc[1]));
}

// q4k_row for two rows (an expert's gate and up) against the same x: each row keeps its own
// four accumulators and the same per-lane operations, so each result has q4k_row's bits; x is
// loaded once for both.
PV_AVX2 void q4k_row_pair(const std::uint8_t* ra, const std::uint8_t* rb, const float* x, int nb, float* out_a,
                          float* out_b) {
  __m256 aa[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  __m256 ab[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  alignas(32) std::uint8_t qa[quant::QK_K], qb[quant::QK_K];
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int i = 0; i < nb; ++i) {
    const std::uint8_t* ba = ra + std::size_t(i) * sizeof(quant::BlockQ4K);
    const std::uint8_t* bb = rb + std::size_t(i) * sizeof(quant::BlockQ4K);
    std::uint16_t h[4];
    std::memcpy(&h[0], ba, 4);
    std::memcpy(&h[2], bb, 4);
    const float da = quant::f16_to_f32(h[0]), dma = quant::f16_to_f32(h[1]);
    const float db = quant::f16_to_f32(h[2]), dmb = quant::f16_to_f32(h[3]);
    const quant::ScaleMin sa = quant::unpack_q4k_scales(ba + 4), sb = quant::unpack_q4k_scales(bb + 4);
    for (int c = 0; c < 4; ++c) {
      const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ba + 16 + 32 * c));
      const __m256i vb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bb + 16 + 32 * c));
      _mm256_store_si256(reinterpret_cast<__m256i*>(qa + 64 * c), _mm256_and_si256(va, m4));
      _mm256_store_si256(reinterpret_cast<__m256i*>(qa + 64 * c + 32), _mm256_and_si256(_mm256_srli_epi16(va, 4), m4));
      _mm256_store_si256(reinterpret_cast<__m256i*>(qb + 64 * c), _mm256_and_si256(vb, m4));
      _mm256_store_si256(reinterpret_cast<__m256i*>(qb + 64 * c + 32), _mm256_and_si256(_mm256_srli_epi16(vb, 4), m4));
    }
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

float dot_f32_row(quant::Type t, const std::uint8_t* row, const float* x, int n, quant::Isa isa) {
  if (isa == quant::Isa::avx2 && t == quant::Type::Q4_K) return q4k_row(row, x, n / quant::QK_K);
  if (isa == quant::Isa::avx2 && t == quant::Type::Q6_K) return q6k_row(row, x, n / quant::QK_K);
  return quant::dot_f32(t, row, x, n, isa);
}

}  // namespace pv::engine::cpu

namespace pv::engine::cpu {

void dot_f32_row_pair(quant::Type t, const std::uint8_t* row_a, const std::uint8_t* row_b, const float* x, int n,
                      float* out_a, float* out_b, quant::Isa isa) {
  if (isa == quant::Isa::avx2 && t == quant::Type::Q4_K)
    return q4k_row_pair(row_a, row_b, x, n / quant::QK_K, out_a, out_b);
  *out_a = dot_f32_row(t, row_a, x, n, isa);
  *out_b = dot_f32_row(t, row_b, x, n, isa);
}

}  // namespace pv::engine::cpu
