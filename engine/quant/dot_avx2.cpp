// AVX2 kernels, compiled for AVX2+FMA by function attribute and only called when the CPU has
// them (dot.cpp checks __builtin_cpu_supports). dot_q8k kernels compute the same exact integer
// sums as dot_scalar.cpp and finish each block with the shared f32 steps of dot_impl.hpp.
#include <cstring>

#include "engine/quant/avx2.hpp"
#include "engine/quant/dot_impl.hpp"
#include "engine/quant/scales.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::quant::detail {
namespace {

using namespace avx2;

// The 256 Q6_K values of the block at blk in value order: q - bias (bias 32: signed values, 0: raw).
PV_AVX2 void q6k_values(const std::uint8_t* blk, std::int8_t* out, char bias) {
  const __m256i vb = _mm256_set1_epi8(bias);
  for (int h = 0; h < 2; ++h) {
    const Q6kHalf v = q6k_half(blk, h);
    for (int k = 0; k < 4; ++k)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 128 * h + 32 * k), _mm256_sub_epi8(q6k_run(v, k), vb));
  }
}

// The f32 kernels read each block in place: copying it to the stack first made the 32-byte
// loads straddle the copy's stores, which defeats store forwarding (a quarter of the exact
// mode's decode time).
PV_AVX2 float f32_q4k(const std::uint8_t* row, const float* x, std::int64_t nb) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  alignas(32) std::uint8_t q[QK_K];
  for (std::int64_t i = 0; i < nb; ++i) {
    const std::uint8_t* blk = row + i * sizeof(BlockQ4K);  // d, dmin, scales[12], qs[128]
    std::uint16_t dh, mh;
    std::memcpy(&dh, blk, 2);
    std::memcpy(&mh, blk + 2, 2);
    const float d = f16_to_f32(dh), dmin = f16_to_f32(mh);
    const ScaleMin s = unpack_q4k_scales(blk + 4);
    q4k_quants(blk + 16, q);
    const float* xb = x + i * QK_K;
    for (int j = 0; j < 8; ++j)
      fma32_affine(q + 32 * j, d * static_cast<float>(s.sc[j]), dmin * static_cast<float>(s.m[j]), xb + 32 * j, acc);
  }
  return hsum_f32(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
}

PV_AVX2 float f32_q6k(const std::uint8_t* row, const float* x, std::int64_t nb) {
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  alignas(32) std::int8_t q[QK_K];
  for (std::int64_t i = 0; i < nb; ++i) {
    const std::uint8_t* blk = row + i * sizeof(BlockQ6K);  // ql[128], qh[64], scales[16], d
    q6k_values(blk, q, 32);
    std::uint16_t dh;
    std::memcpy(&dh, blk + 208, 2);
    const float d = f16_to_f32(dh);
    const auto* scales = reinterpret_cast<const std::int8_t*>(blk + 192);
    for (int j = 0; j < 16; ++j) fma16_signed(q + 16 * j, d * static_cast<float>(scales[j]), x + i * QK_K + 16 * j, acc);
  }
  return hsum_f32(_mm256_add_ps(acc[0], acc[1]));
}

PV_AVX2 float f32_q8_0(const std::uint8_t* row, const float* x, std::int64_t nb) {
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  BlockQ8_0 b;
  for (std::int64_t i = 0; i < nb; ++i) {
    std::memcpy(&b, row + i * sizeof(BlockQ8_0), sizeof b);
    const float d = f16_to_f32(b.d);
    fma16_signed(b.qs, d, x + 32 * i, acc);
    fma16_signed(b.qs + 16, d, x + 32 * i + 16, acc);
  }
  return hsum_f32(_mm256_add_ps(acc[0], acc[1]));
}

PV_AVX2 float f32_f32(const std::uint8_t* row, const float* x, std::int64_t n) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  const auto* w = reinterpret_cast<const float*>(row);  // loadu: no alignment assumed
  for (std::int64_t i = 0; i < n; i += 32)
    for (int g = 0; g < 4; ++g)
      acc[g] = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8 * g), _mm256_loadu_ps(x + i + 8 * g), acc[g]);
  return hsum_f32(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
}

PV_AVX2 float q8k_q4k(const std::uint8_t* row, const BlockQ8K* x, std::int64_t nb) {
  float acc = 0;
  BlockQ4K b;
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (std::int64_t i = 0; i < nb; ++i) {
    std::memcpy(&b, row + i * sizeof(BlockQ4K), sizeof b);
    const ScaleMin s = unpack_q4k_scales(b.scales);
    __m256i sum = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
      const __m256i lo = _mm256_and_si256(v, m4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
      const __m256i xl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 64 * c));
      const __m256i xh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 64 * c + 32));
      // maddubs: |pair| <= 2 * 15 * 128 = 3840, no int16 saturation.
      sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, xl), _mm256_set1_epi16(s.sc[2 * c])));
      sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, xh), _mm256_set1_epi16(s.sc[2 * c + 1])));
    }
    std::int32_t summ = 0;
    for (int j = 0; j < 8; ++j) summ += s.m[j] * (x[i].bsums[2 * j] + x[i].bsums[2 * j + 1]);
    acc = q4k_block_finish(acc, x[i].d, b.d, b.dmin, hsum_i32(sum), summ);
  }
  return acc;
}

PV_AVX2 float q8k_q6k(const std::uint8_t* row, const BlockQ8K* x, std::int64_t nb) {
  float acc = 0;
  BlockQ6K b;
  alignas(32) std::int8_t q[QK_K];
  for (std::int64_t i = 0; i < nb; ++i) {
    std::memcpy(&b, row + i * sizeof(BlockQ6K), sizeof b);
    q6k_values(row + i * sizeof(BlockQ6K), q, 0);  // raw q in [0, 63]: a valid unsigned maddubs operand
    __m256i sum = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi8(1);
    for (int k = 0; k < 8; ++k) {  // 32 values, two scales
      const __m256i qv = _mm256_load_si256(reinterpret_cast<const __m256i*>(q + 32 * k));
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 32 * k));
      // Pair sums of (q - 32) * x = q*x - 32*(x pair sum). The true value is within
      // +-2*32*128 = 8192 and each term within int16, so int16 wrap-around cannot change it.
      // (Computed from x itself, not from bsums, so any Q8_K block gives the scalar result.)
      const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(qv, xv),
                                         _mm256_slli_epi16(_mm256_maddubs_epi16(ones, xv), 5));
      const __m256i sc = _mm256_set_m128i(_mm_set1_epi16(b.scales[2 * k + 1]), _mm_set1_epi16(b.scales[2 * k]));
      sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, sc));
    }
    acc = q6k_block_finish(acc, x[i].d, b.d, hsum_i32(sum));
  }
  return acc;
}

PV_AVX2 float q8k_q8_0(const std::uint8_t* row, const BlockQ8K* x, std::int64_t nb) {
  float acc = 0;
  BlockQ8_0 b;
  for (std::int64_t i = 0; i < nb; ++i) {
    std::memcpy(&b, row + i * sizeof(BlockQ8_0), sizeof b);
    const BlockQ8K& xb = x[i / 8];
    const std::int8_t* xq = xb.qs + 32 * (i % 8);
    __m256i sum = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {  // int16 products: exact even for -128 * -128
      const __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + 16 * h)));
      const __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xq + 16 * h)));
      sum = _mm256_add_epi32(sum, _mm256_madd_epi16(w, v));
    }
    acc = q8_0_block_finish(acc, xb.d, b.d, hsum_i32(sum));
  }
  return acc;
}

}  // namespace

bool dot_f32_avx2(int type, const std::uint8_t* row, const float* x, std::int64_t n, float* out) {
  switch (static_cast<Type>(type)) {
    case Type::Q4_K: *out = f32_q4k(row, x, n / QK_K); return true;
    case Type::Q6_K: *out = f32_q6k(row, x, n / QK_K); return true;
    case Type::Q8_0: *out = f32_q8_0(row, x, n / QK8_0); return true;
    case Type::F32:
      if (n % 32 != 0) return false;
      *out = f32_f32(row, x, n);
      return true;
    default: return false;
  }
}

bool dot_q8k_avx2(int type, const std::uint8_t* row, const BlockQ8K* x, std::int64_t n, float* out) {
  switch (static_cast<Type>(type)) {
    case Type::Q4_K: *out = q8k_q4k(row, x, n / QK_K); return true;
    case Type::Q6_K: *out = q8k_q6k(row, x, n / QK_K); return true;
    case Type::Q8_0: *out = q8k_q8_0(row, x, n / QK8_0); return true;
    default: return false;
  }
}

}  // namespace pv::engine::quant::detail
