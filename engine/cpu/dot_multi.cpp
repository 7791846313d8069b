#include "engine/cpu/dot_multi.hpp"

#include <immintrin.h>

#include <cstring>

#include "engine/quant/f16.hpp"
#include "engine/quant/scales.hpp"

#define PV_AVX2 __attribute__((target("avx2,fma")))

namespace pv::engine::cpu {
namespace {

constexpr int kTile = 8;  // tokens whose accumulators live together

PV_AVX2 inline std::int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// The f32 steps of quant::detail::q4k_block_finish, in the same order (this library is built
// with -ffp-contract=off, as engine/quant is).
inline float q4k_finish(float acc, float xd, std::uint16_t d, std::uint16_t dmin, std::int32_t sumi, std::int32_t summ) {
  const float dall = xd * quant::f16_to_f32(d);
  const float dm = xd * quant::f16_to_f32(dmin);
  acc = acc + dall * static_cast<float>(sumi);
  acc = acc - dm * static_cast<float>(summ);
  return acc;
}

PV_AVX2 void q4k_multi(const std::uint8_t* row, int nb, const quant::BlockQ8K* const* xs, int count, float* out) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int t0 = 0; t0 < count; t0 += kTile) {
    const int nt = count - t0 < kTile ? count - t0 : kTile;
    float acc[kTile] = {};
    for (int i = 0; i < nb; ++i) {
      quant::BlockQ4K b;
      std::memcpy(&b, row + std::size_t(i) * sizeof b, sizeof b);
      const quant::ScaleMin s = quant::unpack_q4k_scales(b.scales);  // the planted fault reaches here too
      __m256i lo[4], hi[4], sc[8];
      for (int c = 0; c < 4; ++c) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
        lo[c] = _mm256_and_si256(v, m4);
        hi[c] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
      }
      for (int j = 0; j < 8; ++j) sc[j] = _mm256_set1_epi16(s.sc[j]);
      // mins as 16 int16 lanes (m_j for the two 16-value groups of sub-block j), for bsums
      alignas(32) std::int16_t mins[16];
      for (int j = 0; j < 8; ++j) mins[2 * j] = mins[2 * j + 1] = s.m[j];
      const __m256i mv = _mm256_load_si256(reinterpret_cast<const __m256i*>(mins));
      for (int t = 0; t < nt; ++t) {
        const quant::BlockQ8K& x = xs[t0 + t][i];
        __m256i sum = _mm256_setzero_si256();
        for (int c = 0; c < 4; ++c) {
          const __m256i xl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 64 * c));
          const __m256i xh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 64 * c + 32));
          // maddubs: |pair| <= 2 * 15 * 128 = 3840, no int16 saturation
          sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(lo[c], xl), sc[2 * c]));
          sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(hi[c], xh), sc[2 * c + 1]));
        }
        const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.bsums));
        const std::int32_t summ = hsum_i32(_mm256_madd_epi16(bs, mv));  // |m * bsum| < 2^22: exact
        acc[t] = q4k_finish(acc[t], x.d, b.d, b.dmin, hsum_i32(sum), summ);
      }
    }
    for (int t = 0; t < nt; ++t) out[t0 + t] = acc[t];
  }
}

// The f32 step of quant::detail::q6k_block_finish.
inline float q6k_finish(float acc, float xd, std::uint16_t d, std::int32_t sumi) {
  return acc + (xd * quant::f16_to_f32(d)) * static_cast<float>(sumi);
}

// Q6_K: the 256 values q - 32 in [-32, 31] are unpacked once per block (layout in
// moe-facts.md); per token, sign(x, q) * |q| pair sums (|pair| <= 2 * 32 * 127, no int16
// saturation; needs x in [-127, 127], which quantize_row_q8k guarantees) times the two 8-bit
// scales of each 32 values. Integer sums are exact, so any order gives quant's sumi.
PV_AVX2 void q6k_multi(const std::uint8_t* row, int nb, const quant::BlockQ8K* const* xs, int count, float* out) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3), k32 = _mm256_set1_epi8(32);
  for (int t0 = 0; t0 < count; t0 += kTile) {
    const int nt = count - t0 < kTile ? count - t0 : kTile;
    float acc[kTile] = {};
    for (int i = 0; i < nb; ++i) {
      quant::BlockQ6K b;
      std::memcpy(&b, row + std::size_t(i) * sizeof b, sizeof b);
      __m256i q[8], qa[8], sc[8];
      for (int h = 0; h < 2; ++h) {
        const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h));
        const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h + 32));
        const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
        const __m256i lo[4] = {_mm256_and_si256(ql0, m4), _mm256_and_si256(ql1, m4),
                               _mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                               _mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4)};
        for (int k = 0; k < 4; ++k) {
          const __m256i hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), m2), 4);
          q[4 * h + k] = _mm256_sub_epi8(_mm256_or_si256(lo[k], hi), k32);
          qa[4 * h + k] = _mm256_sign_epi8(q[4 * h + k], q[4 * h + k]);  // |q|
        }
      }
      for (int c = 0; c < 8; ++c)
        sc[c] = _mm256_set_m128i(_mm_set1_epi16(b.scales[2 * c + 1]), _mm_set1_epi16(b.scales[2 * c]));
      for (int t = 0; t < nt; ++t) {
        const quant::BlockQ8K& x = xs[t0 + t][i];
        __m256i sum = _mm256_setzero_si256();
        for (int c = 0; c < 8; ++c) {
          const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * c));
          const __m256i p = _mm256_maddubs_epi16(qa[c], _mm256_sign_epi8(xv, q[c]));
          sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, sc[c]));
        }
        acc[t] = q6k_finish(acc[t], x.d, b.d, hsum_i32(sum));
      }
    }
    for (int t = 0; t < nt; ++t) out[t0 + t] = acc[t];
  }
}

}  // namespace

void dot_q8k_multi(quant::Type t, const std::uint8_t* row, int n, const quant::BlockQ8K* const* xs, int count,
                   float* out, quant::Isa isa) {
  // One token: engine/quant's kernel is faster (no shared unpacking to amortise); same bits.
  if (isa == quant::Isa::avx2 && t == quant::Type::Q4_K && count >= 2)
    return q4k_multi(row, n / quant::QK_K, xs, count, out);
  if (isa == quant::Isa::avx2 && t == quant::Type::Q6_K && count >= 2)
    return q6k_multi(row, n / quant::QK_K, xs, count, out);
  for (int i = 0; i < count; ++i) out[i] = quant::dot_q8k(t, row, xs[i], n, isa);
}

}  // namespace pv::engine::cpu
