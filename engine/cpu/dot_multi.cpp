#include "engine/cpu/dot_multi.hpp"

#include <cstring>

#include "engine/moe/fault.hpp"
#include "engine/quant/avx2.hpp"
#include "engine/quant/block_finish.hpp"
#include "engine/quant/f16.hpp"
#include "engine/quant/scales.hpp"

namespace pv::engine::cpu {
namespace {

using namespace quant::avx2;
using quant::q4k_block_finish;
using quant::q6k_block_finish;

constexpr int kTile = 8;  // tokens whose accumulators live together

// The 8 scales and 8 mins of a Q4_K block as 16 int16 lanes (scales in 0-7, mins in 8-15),
// unpacked with 32-bit masks instead of byte by byte (same values as quant::unpack_q4k_scales,
// which the planted fault q4k_scale_unpack goes through: that build takes the slow path).
PV_AVX2 __attribute__((always_inline)) inline __m256i q4k_scales_mins(const std::uint8_t* s12) {
  if (PV_FAULT(q4k_scale_unpack)) {
    const quant::ScaleMin sm = quant::unpack_q4k_scales(s12);
    alignas(16) std::uint8_t b[16];
    std::memcpy(b, sm.sc, 8);
    std::memcpy(b + 8, sm.m, 8);
    return _mm256_cvtepu8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(b)));
  }
  std::uint32_t u[4];
  std::memcpy(u, s12, 12);
  constexpr std::uint32_t k6 = 0x3f3f3f3f, k4 = 0x0f0f0f0f, k2 = 0x03030303;
  // j < 4: sc = s[j] & 63, m = s[j+4] & 63; j >= 4: sc = (s[j+4] & 15) | (s[j-4] >> 6) << 4,
  // m = (s[j+4] >> 4) | (s[j] >> 6) << 4 (moe-facts.md), four lanes at a time.
  const std::uint32_t sc_lo = u[0] & k6, m_lo = u[1] & k6;
  const std::uint32_t sc_hi = (u[2] & k4) | (((u[0] >> 6) & k2) << 4);
  const std::uint32_t m_hi = ((u[2] >> 4) & k4) | (((u[1] >> 6) & k2) << 4);
  return _mm256_cvtepu8_epi16(_mm_set_epi32(static_cast<int>(m_hi), static_cast<int>(m_lo),
                                            static_cast<int>(sc_hi), static_cast<int>(sc_lo)));
}

PV_AVX2 void q4k_multi(const std::uint8_t* row, int nb, const quant::BlockQ8K* const* xs, int count, float* out) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int t0 = 0; t0 < count; t0 += kTile) {
    const int nt = count - t0 < kTile ? count - t0 : kTile;
    float acc[kTile] = {};
    for (int i = 0; i < nb; ++i) {
      const std::uint8_t* blk = row + std::size_t(i) * sizeof(quant::BlockQ4K);  // d, dmin, scales[12], qs[128]
      std::uint16_t d, dmin;
      std::memcpy(&d, blk, 2);
      std::memcpy(&dmin, blk + 2, 2);
      const __m256i smv = q4k_scales_mins(blk + 4);
      const __m128i sc8 = _mm256_castsi256_si128(smv), m8 = _mm256_extracti128_si256(smv, 1);
      __m256i lo[4], hi[4], sc[8];
      for (int c = 0; c < 4; ++c) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16 + 32 * c));
        lo[c] = _mm256_and_si256(v, m4);
        hi[c] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
      }
      // sc[j]: scale j in every int16 lane (broadcast of lane j of sc8)
      const __m256i sc16 = _mm256_broadcastsi128_si256(sc8);
      for (int j = 0; j < 8; ++j)
        sc[j] = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16(static_cast<short>((2 * j) | ((2 * j + 1) << 8))));
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
        // summ = sum_j m_j (bsums[2j] + bsums[2j+1]); pair sums <= 2 * 16 * 127 fit in int16
        const __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x.bsums));
        const __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x.bsums + 8));
        const __m128i pm = _mm_madd_epi16(_mm_hadd_epi16(b0, b1), m8);
        const __m128i pm2 = _mm_add_epi32(pm, _mm_shuffle_epi32(pm, 0x4E));
        const std::int32_t summ = _mm_cvtsi128_si32(_mm_add_epi32(pm2, _mm_shuffle_epi32(pm2, 0xB1)));
        acc[t] = q4k_block_finish(acc[t], x.d, d, dmin, hsum_i32(sum), summ);
      }
    }
    for (int t = 0; t < nt; ++t) out[t0 + t] = acc[t];
  }
}

// Two Q4_K rows (an expert's gate and up row) against one token, the decode case: the token's
// Q8_K values are loaded once for both rows, everything stays in registers, the min terms
// come from one madd of the 16 bsums with each min duplicated (m_j * (bsums[2j] + bsums[2j+1])
// = the same integer), the four integer sums are reduced together, and d, dmin are converted
// with F16C (exact, as quant::f16_to_f32, for every finite or infinite half; a block with a NaN
// or infinite d or dmin takes the software conversion, which keeps NaN payloads bit for bit).
// The f32 steps are q4k_block_finish's, in its order. The token's values are read from memory (L1)
// by each row's maddubs: holding them in a __m256i array made GCC copy the array to the stack
// in 128-bit halves and reload it 256 bits at a time, a store-forwarding stall per load that
// cost 25% of decode time.
PV_AVX2 __attribute__((always_inline)) inline __m256i load32(const std::int8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

PV_AVX2 __attribute__((always_inline)) inline __m256i q4k_mins_dup(const std::uint8_t* s12) {
  // lanes 2j and 2j+1: m_j (int16), from the upper half of q4k_scales_mins
  const __m128i m8 = _mm256_extracti128_si256(q4k_scales_mins(s12), 1);
  return _mm256_set_m128i(_mm_unpackhi_epi16(m8, m8), _mm_unpacklo_epi16(m8, m8));
}

PV_AVX2 __attribute__((always_inline)) inline __m256i q4k_row_sum(const std::uint8_t* blk, const std::int8_t* xq, __m256i sc16) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256i sum = _mm256_setzero_si256();
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16 + 32 * c));
    const __m256i sl = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16(static_cast<short>((4 * c) | ((4 * c + 1) << 8))));
    const __m256i sh = _mm256_shuffle_epi8(sc16, _mm256_set1_epi16(static_cast<short>((4 * c + 2) | ((4 * c + 3) << 8))));
    // maddubs: |pair| <= 2 * 15 * 128 = 3840, no int16 saturation
    sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_and_si256(v, m4), load32(xq + 64 * c)), sl));
    sum = _mm256_add_epi32(
        sum, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 4), m4), load32(xq + 64 * c + 32)), sh));
  }
  return sum;
}

inline bool any_f16_inf_nan(std::uint64_t four_halves) {  // some lane with exponent bits 11111
  const std::uint64_t e = four_halves & 0x7C007C007C007C00ull;
  const std::uint64_t z = e ^ 0x7C007C007C007C00ull;  // lane zero <=> exponent all ones
  return ((z - 0x0001000100010001ull) & ~z & 0x8000800080008000ull) != 0;
}

PV_AVX2 __attribute__((target("f16c"))) void q4k_pair_one(const std::uint8_t* ra, const std::uint8_t* rb, int nb,
                                                          const quant::BlockQ8K* x, float* out_a, float* out_b) {
  float acc_a = 0.0f, acc_b = 0.0f;
  for (int i = 0; i < nb; ++i) {
    const std::uint8_t* a = ra + std::size_t(i) * sizeof(quant::BlockQ4K);
    const std::uint8_t* b = rb + std::size_t(i) * sizeof(quant::BlockQ4K);
    const quant::BlockQ8K& xb = x[i];
    const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.bsums));
    const __m256i sa = q4k_row_sum(a, xb.qs, _mm256_broadcastsi128_si256(_mm256_castsi256_si128(q4k_scales_mins(a + 4))));
    const __m256i sb = q4k_row_sum(b, xb.qs, _mm256_broadcastsi128_si256(_mm256_castsi256_si128(q4k_scales_mins(b + 4))));
    const __m256i ma = _mm256_madd_epi16(bs, q4k_mins_dup(a + 4));
    const __m256i mb = _mm256_madd_epi16(bs, q4k_mins_dup(b + 4));
    // [sumi_a, summ_a, sumi_b, summ_b]
    const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(sa, ma), _mm256_hadd_epi32(sb, mb));
    const __m128i r = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    std::uint32_t ha, hb;
    std::memcpy(&ha, a, 4);
    std::memcpy(&hb, b, 4);
    const std::uint64_t hv = ha | std::uint64_t(hb) << 32;  // d_a, dmin_a, d_b, dmin_b
    if (any_f16_inf_nan(hv)) {
      std::uint16_t da, dma, db, dmb;
      std::memcpy(&da, a, 2);
      std::memcpy(&dma, a + 2, 2);
      std::memcpy(&db, b, 2);
      std::memcpy(&dmb, b + 2, 2);
      acc_a = q4k_block_finish(acc_a, xb.d, da, dma, _mm_cvtsi128_si32(r), _mm_extract_epi32(r, 1));
      acc_b = q4k_block_finish(acc_b, xb.d, db, dmb, _mm_extract_epi32(r, 2), _mm_extract_epi32(r, 3));
      continue;
    }
    // [xd * d_a, xd * dmin_a, xd * d_b, xd * dmin_b] * float(sums), lane by lane as q4k_block_finish
    const __m128 dd = _mm_mul_ps(_mm_set1_ps(xb.d), _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(hv))));
    alignas(16) float p[4];
    _mm_store_ps(p, _mm_mul_ps(dd, _mm_cvtepi32_ps(r)));
    acc_a = acc_a + p[0];
    acc_a = acc_a - p[1];
    acc_b = acc_b + p[2];
    acc_b = acc_b - p[3];
  }
  *out_a = acc_a;
  *out_b = acc_b;
}

// Q6_K: the 256 raw 6-bit values q in [0, 63] are unpacked once per block (layout in
// moe-facts.md) and scaled as sum_g sc_g sum (q - 32) x = sum_g sc_g sum q x - 32 sum_g sc_g
// bsum_g, where bsum_g is the Q8_K block's sum of x over the 16 values of group g (exact: all
// integer). maddubs(q, x) pairs are <= 2 * 63 * 127 = 16002, no int16 saturation; the bsums
// are those quantize_row_q8k writes (the same contract as the Q4_K min term). The scale of
// each 16 values is broadcast once per block with one byte shuffle (scale 2c in the low
// 128-bit lane, 2c + 1 in the high one, as maddubs' 16-value halves need), shared by all
// tokens. Integer sums are exact, so any order gives quant's sumi.
PV_AVX2 void q6k_multi(const std::uint8_t* row, int nb, const quant::BlockQ8K* const* xs, int count, float* out) {
  // bytes of the 16 scales reordered as s0 s2 .. s14 s1 s3 .. s15: after sign extension the low
  // 128-bit lane holds the even scales and the high one the odd scales, as int16
  const __m128i evenodd = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
  for (int t0 = 0; t0 < count; t0 += kTile) {
    const int nt = count - t0 < kTile ? count - t0 : kTile;
    float acc[kTile] = {};
    for (int i = 0; i < nb; ++i) {
      // fields read in place (ql[128], qh[64], scales[16], d): no copy of the block
      const std::uint8_t* blk = row + std::size_t(i) * sizeof(quant::BlockQ6K);
      std::uint16_t dbits;
      std::memcpy(&dbits, blk + 208, 2);
      __m256i q[8], sc[8];
      for (int h = 0; h < 2; ++h) {
        const Q6kHalf v = q6k_half(blk, h);
        for (int k = 0; k < 4; ++k) q[4 * h + k] = q6k_run(v, k);
      }
      const __m128i s8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192));
      const __m256i snat = _mm256_cvtepi8_epi16(s8);                              // s0..s15
      const __m256i seo = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(s8, evenodd));   // evens | odds
      for (int c = 0; c < 8; ++c)
        sc[c] = _mm256_shuffle_epi8(seo, _mm256_set1_epi16(static_cast<short>((2 * c) | ((2 * c + 1) << 8))));
      for (int t = 0; t < nt; ++t) {
        const quant::BlockQ8K& x = xs[t0 + t][i];
        // 32 sum_g sc_g bsum_g, |.| <= 32 * 16 * 128 * 2032: int32
        const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.bsums));
        __m256i sum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(bs, snat), 5));
        for (int c = 0; c < 8; ++c) {
          const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * c));
          sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(q[c], xv), sc[c]));
        }
        acc[t] = q6k_block_finish(acc[t], x.d, dbits, hsum_i32(sum));
      }
    }
    for (int t = 0; t < nt; ++t) out[t0 + t] = acc[t];
  }
}

// One Q6_K row against one token (decode's down rows): q6k_multi's arithmetic computed on the
// fly, nothing kept in arrays (which GCC spills), the token's values read from L1.
PV_AVX2 void q6k_one(const std::uint8_t* row, int nb, const quant::BlockQ8K* x, float* out) {
  const __m128i evenodd = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
  float acc = 0.0f;
  for (int i = 0; i < nb; ++i) {
    const std::uint8_t* blk = row + std::size_t(i) * sizeof(quant::BlockQ6K);
    const std::int8_t* xq = x[i].qs;
    const __m128i s8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192));
    const __m256i seo = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(s8, evenodd));
    const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].bsums));
    __m256i sum = _mm256_sub_epi32(_mm256_setzero_si256(),
                                   _mm256_slli_epi32(_mm256_madd_epi16(bs, _mm256_cvtepi8_epi16(s8)), 5));
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const Q6kHalf v = q6k_half(blk, h);
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        const int c = 4 * h + k;
        const __m256i sc = _mm256_shuffle_epi8(seo, _mm256_set1_epi16(static_cast<short>((2 * c) | ((2 * c + 1) << 8))));
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(q6k_run(v, k), load32(xq + 32 * c)), sc));
      }
    }
    std::uint16_t dbits;
    std::memcpy(&dbits, blk + 208, 2);
    acc = q6k_block_finish(acc, x[i].d, dbits, hsum_i32(sum));
  }
  *out = acc;
}

}  // namespace

void dot_q8k_multi(quant::Type t, const std::uint8_t* row, int n, const quant::BlockQ8K* const* xs, int count,
                   float* out, quant::Isa isa) {
  // AVX2 Q4_K / Q6_K: own kernels (also faster for one token: vectorised scale unpacking).
  if (isa == quant::Isa::avx2 && t == quant::Type::Q4_K && count >= 1)
    return q4k_multi(row, n / quant::QK_K, xs, count, out);
  if (isa == quant::Isa::avx2 && t == quant::Type::Q6_K && count == 1) return q6k_one(row, n / quant::QK_K, xs[0], out);
  if (isa == quant::Isa::avx2 && t == quant::Type::Q6_K && count >= 1)
    return q6k_multi(row, n / quant::QK_K, xs, count, out);
  for (int i = 0; i < count; ++i) out[i] = quant::dot_q8k(t, row, xs[i], n, isa);
}

void dot_q8k_pair(quant::Type t, const std::uint8_t* row_a, const std::uint8_t* row_b, int n,
                  const quant::BlockQ8K* const* xs, int count, float* out_a, float* out_b, quant::Isa isa) {
  static const bool f16c = __builtin_cpu_supports("f16c");
  if (isa == quant::Isa::avx2 && t == quant::Type::Q4_K && count == 1 && f16c)
    return q4k_pair_one(row_a, row_b, n / quant::QK_K, xs[0], out_a, out_b);
  dot_q8k_multi(t, row_a, n, xs, count, out_a, isa);
  dot_q8k_multi(t, row_b, n, xs, count, out_b, isa);
}

}  // namespace pv::engine::cpu
