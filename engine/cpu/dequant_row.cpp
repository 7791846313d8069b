#include "engine/cpu/dequant_row.hpp"

#include <immintrin.h>

#include <cstring>

#include "engine/quant/blocks.hpp"
#include "engine/quant/dequant.hpp"
#include "engine/quant/f16.hpp"
#include "engine/quant/scales.hpp"

#define PV_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace pv::engine::cpu {
namespace {

using quant::BlockQ4K;
using quant::BlockQ6K;
using quant::BlockQ8_0;

// 8 unsigned bytes -> 8 floats of (s * q) - m: a multiply then a subtract, each rounded once,
// exactly the scalar expression (no FMA contraction: these are separate intrinsics).
PV_AVX2 inline void affine8(const std::uint8_t* q, __m256 s, __m256 m, float* out) {
  const __m256i qi = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q)));
  _mm256_storeu_ps(out, _mm256_sub_ps(_mm256_mul_ps(s, _mm256_cvtepi32_ps(qi)), m));
}

PV_AVX2 inline void scaled8(const std::int8_t* q, __m256 s, float* out) {
  const __m256i qi = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q)));
  _mm256_storeu_ps(out, _mm256_mul_ps(s, _mm256_cvtepi32_ps(qi)));
}

PV_AVX2 void q4k_avx2(const std::uint8_t* row, float* y, int nb) {
  alignas(32) std::uint8_t q[quant::QK_K];
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int i = 0; i < nb; ++i) {
    BlockQ4K b;
    std::memcpy(&b, row + std::size_t(i) * sizeof b, sizeof b);
    const float d = quant::f16_to_f32(b.d), dmin = quant::f16_to_f32(b.dmin);
    const quant::ScaleMin s = quant::unpack_q4k_scales(b.scales);  // the planted fault reaches here too
    for (int c = 0; c < 4; ++c) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
      _mm256_store_si256(reinterpret_cast<__m256i*>(q + 64 * c), _mm256_and_si256(v, m4));
      _mm256_store_si256(reinterpret_cast<__m256i*>(q + 64 * c + 32), _mm256_and_si256(_mm256_srli_epi16(v, 4), m4));
    }
    for (int j = 0; j < 8; ++j) {
      const __m256 vs = _mm256_set1_ps(d * static_cast<float>(s.sc[j]));
      const __m256 vm = _mm256_set1_ps(dmin * static_cast<float>(s.m[j]));
      for (int g = 0; g < 4; ++g) affine8(q + 32 * j + 8 * g, vs, vm, y + 256 * i + 32 * j + 8 * g);
    }
  }
}

PV_AVX2 void q6k_avx2(const std::uint8_t* row, float* y, int nb) {
  alignas(32) std::int8_t q[quant::QK_K];
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3), k32 = _mm256_set1_epi8(32);
  for (int i = 0; i < nb; ++i) {
    BlockQ6K b;
    std::memcpy(&b, row + std::size_t(i) * sizeof b, sizeof b);
    for (int h = 0; h < 2; ++h) {  // values in order: layout in moe-facts.md
      const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h));
      const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h + 32));
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
      const __m256i lo[4] = {_mm256_and_si256(ql0, m4), _mm256_and_si256(ql1, m4),
                             _mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                             _mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4)};
      for (int k = 0; k < 4; ++k) {
        const __m256i hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), m2), 4);
        _mm256_store_si256(reinterpret_cast<__m256i*>(q + 128 * h + 32 * k),
                           _mm256_sub_epi8(_mm256_or_si256(lo[k], hi), k32));
      }
    }
    const float d = quant::f16_to_f32(b.d);
    for (int j = 0; j < 16; ++j) {
      const __m256 vs = _mm256_set1_ps(d * static_cast<float>(b.scales[j]));
      scaled8(q + 16 * j, vs, y + 256 * i + 16 * j);
      scaled8(q + 16 * j + 8, vs, y + 256 * i + 16 * j + 8);
    }
  }
}

PV_AVX2 void q8_0_avx2(const std::uint8_t* row, float* y, int nb) {
  for (int i = 0; i < nb; ++i) {
    BlockQ8_0 b;
    std::memcpy(&b, row + std::size_t(i) * sizeof b, sizeof b);
    const __m256 vs = _mm256_set1_ps(quant::f16_to_f32(b.d));
    for (int g = 0; g < 4; ++g) scaled8(b.qs + 8 * g, vs, y + 32 * i + 8 * g);
  }
}

PV_AVX2 void f16_avx2(const std::uint8_t* row, float* y, int n) {
  // F16C widening is exact for every finite value and infinity (the engine rejects NaN output).
  for (int i = 0; i < n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i))));
}

PV_AVX2 inline float hsum8(__m256 v) {  // the reduction order of quant's AVX2 kernels
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

PV_AVX2 float dot_l2(const float* w, const float* x, int n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  for (int i = 0; i < n; i += 16) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
  }
  return hsum8(_mm256_add_ps(a0, a1));
}

}  // namespace

float dot_expanded(quant::Type t, const float* w, const float* x, int n, quant::Isa isa) {
  using quant::Type;
  const auto* wb = reinterpret_cast<const std::uint8_t*>(w);
  if (isa == quant::Isa::avx2) {
    switch (t) {
      case Type::Q4_K:
      case Type::F32: return quant::dot_f32(Type::F32, wb, x, n, isa);
      case Type::Q6_K:
      case Type::Q8_0: return dot_l2(w, x, n);
      default: break;
    }
  }
  return quant::dot_f32(Type::F32, wb, x, n, quant::Isa::scalar);
}

void dequantise_row(quant::Type t, const std::uint8_t* row, float* out, int n, quant::Isa isa) {
  using quant::Type;
  if (isa == quant::Isa::avx2) {
    switch (t) {
      case Type::Q4_K: return q4k_avx2(row, out, n / quant::QK_K);
      case Type::Q6_K: return q6k_avx2(row, out, n / quant::QK_K);
      case Type::Q8_0: return q8_0_avx2(row, out, n / quant::QK8_0);
      case Type::F16:
        if (n % 8 == 0 && __builtin_cpu_supports("f16c")) return f16_avx2(row, out, n);
        break;
      default: break;
    }
  }
  quant::dequantize_row(t, row, out, n);  // the scalar reference (F32: a copy; BF16: a shift)
}

}  // namespace pv::engine::cpu
