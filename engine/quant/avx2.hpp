#pragma once
// AVX2 building blocks of the row kernels: dot_avx2.cpp here and engine/cpu's multi-token and
// pair kernels, which promise bitwise quant::dot_f32 / quant::dot_q8k results and get them by
// using the same lane operations. Compiled for AVX2+FMA by function attribute: call them only
// from PV_AVX2 functions, which run only where the CPU has AVX2 (quant::best_isa).
#include <immintrin.h>

#include <cstdint>

#define PV_AVX2 __attribute__((target("avx2,fma")))

namespace pv::engine::quant::avx2 {

PV_AVX2 inline std::int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

PV_AVX2 inline float hsum_f32(__m256 v) {  // (lo + hi), then pairs
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// acc[g] += (s * q - m) * x over 32 values (unsigned q): w = s*q - m exactly as the scalar
// dequantisation evaluates it (mul then sub, never fused), then one FMA into the accumulator.
PV_AVX2 inline void fma32_affine(const std::uint8_t* q, float s, float m, const float* x, __m256* acc) {
  const __m256 vs = _mm256_set1_ps(s), vm = _mm256_set1_ps(m);
  for (int g = 0; g < 4; ++g) {
    const __m256i qi = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 8 * g)));
    const __m256 w = _mm256_sub_ps(_mm256_mul_ps(vs, _mm256_cvtepi32_ps(qi)), vm);
    acc[g] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + 8 * g), acc[g]);
  }
}

// acc[g] += (s * q) * x over 16 signed values.
PV_AVX2 inline void fma16_signed(const std::int8_t* q, float s, const float* x, __m256* acc) {
  const __m256 vs = _mm256_set1_ps(s);
  for (int g = 0; g < 2; ++g) {
    const __m256i qi = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 8 * g)));
    acc[g] = _mm256_fmadd_ps(_mm256_mul_ps(vs, _mm256_cvtepi32_ps(qi)), _mm256_loadu_ps(x + 8 * g), acc[g]);
  }
}

// The 256 quants of a Q4_K block (qs, 128 bytes) in value order into q (32-byte aligned):
// chunk c's low nibbles are values 64c..64c+31, its high nibbles the next 32.
PV_AVX2 inline void q4k_quants(const std::uint8_t* qs, std::uint8_t* q) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int c = 0; c < 4; ++c) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * c));
    _mm256_store_si256(reinterpret_cast<__m256i*>(q + 64 * c), _mm256_and_si256(v, m4));
    _mm256_store_si256(reinterpret_cast<__m256i*>(q + 64 * c + 32), _mm256_and_si256(_mm256_srli_epi16(v, 4), m4));
  }
}

// Half h of a Q6_K block (ql[128], qh[64], ...): its two 32-byte runs of ql and its qh bytes.
struct Q6kHalf {
  __m256i ql0, ql1, qh;
};
PV_AVX2 __attribute__((always_inline)) inline Q6kHalf q6k_half(const std::uint8_t* blk, int h) {
  return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 64 * h)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 64 * h + 32)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * h))};
}
// Values 128h + 32k .. 128h + 32k + 31 of that half, raw (0..63): the low 4 bits from run
// k & 1 (high nibbles for k >= 2), bits 4-5 from qh bits 2k, 2k + 1. Returned by value, not
// as an array (GCC spills __m256i arrays in the decode loops).
PV_AVX2 __attribute__((always_inline)) inline __m256i q6k_run(const Q6kHalf& v, int k) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3);
  const __m256i l = (k & 1) ? v.ql1 : v.ql0;
  const __m256i lo = _mm256_and_si256(k < 2 ? l : _mm256_srli_epi16(l, 4), m4);
  return _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(v.qh, 2 * k), m2), 4));
}

}  // namespace pv::engine::quant::avx2
