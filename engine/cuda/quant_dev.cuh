#pragma once
// Device-side decoding of the GGUF block formats (layouts: engine/quant/blocks.hpp and
// shared/docs/moe-facts.md). Two views of a weight row:
//  * dot_unit: a 64-value "unit" of a row dotted with f32 activations (GEMV kernels). Units
//    partition a row: Q4_K unit u = 64-value chunk u&3 of super-block u>>2; Q6_K unit u = the
//    16 l-values [16(u&1), 16(u&1)+16) of half (u>>1)&1 of super-block u>>2, i.e. 4 groups of 16
//    values 32 apart; Q8_0 unit u = blocks 2u and 2u+1.
//  * dequant_superblock_half: 256 values of a row as fp16 into shared memory (MMA kernels).
// Activations sit in shared memory in a padded layout, value i at xp(i) = i + 4*(i/64), so
// lanes that read different units at the same offset hit different banks.
#include <cstdint>

#include <cuda_fp16.h>

namespace pv::engine::cuda {

enum DevType : int { kQ8_0 = 8, kQ4_K = 12, kQ6_K = 14 };

__host__ __device__ constexpr int xp(int i) { return i + ((i >> 6) << 2); }
__host__ __device__ constexpr int padded_len(int n) { return xp(n); }  // n multiple of 64

__device__ __forceinline__ float h2f(std::uint32_t bits16) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(bits16 & 0xFFFFu)));
}
__device__ __forceinline__ std::uint32_t byte_of(std::uint32_t w, int b) { return (w >> (8 * b)) & 0xFFu; }
__device__ __forceinline__ std::uint32_t word_of(const uint4& v, int i) {
  return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}
// Byte k (0..15) of a 16-byte vector; k may be a run-time value (selects, no local memory).
__device__ __forceinline__ std::uint32_t byte16(const uint4& v, int k) {
  return byte_of(word_of(v, k >> 2), k & 3);
}
// 16 bytes from a 2-byte-aligned address (Q6_K and Q8_0 blocks are 210 and 34 bytes long).
__device__ __forceinline__ uint4 load16_a2(const std::uint8_t* p) {
  const unsigned short* s = reinterpret_cast<const unsigned short*>(p);
  uint4 v;
  v.x = s[0] | (std::uint32_t(s[1]) << 16);
  v.y = s[2] | (std::uint32_t(s[3]) << 16);
  v.z = s[4] | (std::uint32_t(s[5]) << 16);
  v.w = s[6] | (std::uint32_t(s[7]) << 16);
  return v;
}

// Q4_K 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes at header bytes 4..15.
__device__ __forceinline__ void q4k_scale_min(const uint4& hdr, int j, float& sc, float& m) {
  auto s = [&](int i) { return byte16(hdr, 4 + i); };
  if (j < 4) {
    sc = float(s(j) & 63);
    m = float(s(j + 4) & 63);
  } else {
    sc = float((s(j + 4) & 0xF) | ((s(j - 4) >> 6) << 4));
    m = float((s(j + 4) >> 4) | ((s(j) >> 6) << 4));
  }
}

__device__ __forceinline__ float dot_unit_q4k(const std::uint8_t* row, int u, const float* xs) {
  const std::uint8_t* blk = row + (u >> 2) * 144;
  const int c = u & 3;
  const uint4 hdr = *reinterpret_cast<const uint4*>(blk);
  const uint4 qa = *reinterpret_cast<const uint4*>(blk + 16 + 32 * c);
  const uint4 qb = *reinterpret_cast<const uint4*>(blk + 32 + 32 * c);
  const float4* x = reinterpret_cast<const float4*>(xs + xp(64 * u));
  float s0 = 0.f, s1 = 0.f, m0s = 0.f, m1s = 0.f;
#pragma unroll
  for (int w = 0; w < 8; ++w) {
    const std::uint32_t q = w < 4 ? word_of(qa, w) : word_of(qb, w - 4);
    const float4 xl = x[w], xh = x[8 + w];
    s0 += float(q & 15) * xl.x + float((q >> 8) & 15) * xl.y + float((q >> 16) & 15) * xl.z +
          float((q >> 24) & 15) * xl.w;
    s1 += float((q >> 4) & 15) * xh.x + float((q >> 12) & 15) * xh.y +
          float((q >> 20) & 15) * xh.z + float((q >> 28) & 15) * xh.w;
    m0s += (xl.x + xl.y) + (xl.z + xl.w);
    m1s += (xh.x + xh.y) + (xh.z + xh.w);
  }
  float sc0, mn0, sc1, mn1;
  q4k_scale_min(hdr, 2 * c, sc0, mn0);
  q4k_scale_min(hdr, 2 * c + 1, sc1, mn1);
  const float d = h2f(hdr.x), dmin = h2f(hdr.x >> 16);
  return d * (sc0 * s0 + sc1 * s1) - dmin * (mn0 * m0s + mn1 * m1s);
}

__device__ __forceinline__ float dot_unit_q6k(const std::uint8_t* row, int u, const float* xs) {
  const std::uint8_t* blk = row + (u >> 2) * 210;
  const int h = (u >> 1) & 1, l0 = 16 * (u & 1);
  const uint4 la = load16_a2(blk + 64 * h + l0);
  const uint4 lb = load16_a2(blk + 64 * h + 32 + l0);
  const uint4 hh = load16_a2(blk + 128 + 32 * h + l0);
  const signed char* sc = reinterpret_cast<const signed char*>(blk + 192 + 8 * h + (u & 1));
  const float d = h2f(*reinterpret_cast<const unsigned short*>(blk + 208));
  const int base = 256 * (u >> 2) + 128 * h + l0;
  const float* x0 = xs + xp(base);
  const float* x1 = xs + xp(base + 32);
  const float* x2 = xs + xp(base + 64);
  const float* x3 = xs + xp(base + 96);
  float g0 = 0.f, g1 = 0.f, g2 = 0.f, g3 = 0.f;
#pragma unroll
  for (int i = 0; i < 16; ++i) {
    const std::uint32_t a = byte_of(word_of(la, i >> 2), i & 3);
    const std::uint32_t b = byte_of(word_of(lb, i >> 2), i & 3);
    const std::uint32_t q = byte_of(word_of(hh, i >> 2), i & 3);
    g0 += float(int((a & 15) | ((q & 3) << 4)) - 32) * x0[i];
    g1 += float(int((b & 15) | (((q >> 2) & 3) << 4)) - 32) * x1[i];
    g2 += float(int((a >> 4) | (((q >> 4) & 3) << 4)) - 32) * x2[i];
    g3 += float(int((b >> 4) | (((q >> 6) & 3) << 4)) - 32) * x3[i];
  }
  return d * (float(sc[0]) * g0 + float(sc[2]) * g1 + float(sc[4]) * g2 + float(sc[6]) * g3);
}

__device__ __forceinline__ float dot_unit_q8_0(const std::uint8_t* row, int u, const float* xs) {
  float r = 0.f;
#pragma unroll
  for (int b = 0; b < 2; ++b) {
    const std::uint8_t* blk = row + (2 * u + b) * 34;
    const float d = h2f(*reinterpret_cast<const unsigned short*>(blk));
    const uint4 q0 = load16_a2(blk + 2), q1 = load16_a2(blk + 18);
    const float* x = xs + xp(64 * u) + 32 * b;
    float s = 0.f;
#pragma unroll
    for (int i = 0; i < 32; ++i) {
      const std::uint32_t w = i < 16 ? word_of(q0, i >> 2) : word_of(q1, (i - 16) >> 2);
      s += float(static_cast<signed char>(byte_of(w, i & 3))) * x[i];
    }
    r += d * s;
  }
  return r;
}

__device__ __forceinline__ float dot_unit(int type, const std::uint8_t* row, int u, const float* xs) {
  if (type == kQ4_K) return dot_unit_q4k(row, u, xs);
  if (type == kQ6_K) return dot_unit_q6k(row, u, xs);
  return dot_unit_q8_0(row, u, xs);
}

// Writes 8 consecutive fp16 values as one 16-byte store.
__device__ __forceinline__ void store8h(__half* dst, const float* v) {
  uint4 o;
  __half2 p0 = __floats2half2_rn(v[0], v[1]), p1 = __floats2half2_rn(v[2], v[3]);
  __half2 p2 = __floats2half2_rn(v[4], v[5]), p3 = __floats2half2_rn(v[6], v[7]);
  o.x = *reinterpret_cast<std::uint32_t*>(&p0);
  o.y = *reinterpret_cast<std::uint32_t*>(&p1);
  o.z = *reinterpret_cast<std::uint32_t*>(&p2);
  o.w = *reinterpret_cast<std::uint32_t*>(&p3);
  *reinterpret_cast<uint4*>(dst) = o;
}

// Super-block kb of a row (256 values) dequantised to fp16 at dst (16-byte aligned).
__device__ __forceinline__ void dequant_superblock_half(int type, const std::uint8_t* row, int kb,
                                                        __half* dst) {
  float v[8];
  if (type == kQ4_K) {
    const std::uint8_t* blk = row + kb * 144;
    const uint4 hdr = *reinterpret_cast<const uint4*>(blk);
    const float d = h2f(hdr.x), dmin = h2f(hdr.x >> 16);
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      float sc0, m0, sc1, m1;
      q4k_scale_min(hdr, 2 * c, sc0, m0);
      q4k_scale_min(hdr, 2 * c + 1, sc1, m1);
      const float a0 = d * sc0, b0 = dmin * m0, a1 = d * sc1, b1 = dmin * m1;
#pragma unroll
      for (int part = 0; part < 2; ++part) {
        const uint4 q = *reinterpret_cast<const uint4*>(blk + 16 + 32 * c + 16 * part);
#pragma unroll
        for (int half8 = 0; half8 < 2; ++half8) {
          const std::uint32_t w0 = word_of(q, 2 * half8), w1 = word_of(q, 2 * half8 + 1);
#pragma unroll
          for (int i = 0; i < 8; ++i) v[i] = a0 * float(byte_of(i < 4 ? w0 : w1, i & 3) & 15) - b0;
          store8h(dst + 64 * c + 16 * part + 8 * half8, v);
#pragma unroll
          for (int i = 0; i < 8; ++i) v[i] = a1 * float(byte_of(i < 4 ? w0 : w1, i & 3) >> 4) - b1;
          store8h(dst + 64 * c + 32 + 16 * part + 8 * half8, v);
        }
      }
    }
  } else if (type == kQ6_K) {
    const std::uint8_t* blk = row + kb * 210;
    const float d = h2f(*reinterpret_cast<const unsigned short*>(blk + 208));
    const signed char* scales = reinterpret_cast<const signed char*>(blk + 192);
#pragma unroll
    for (int h = 0; h < 2; ++h) {
#pragma unroll
      for (int l8 = 0; l8 < 32; l8 += 8) {
        // 8 l-values at once: 8 bytes of ql[l], ql[l+32], qh[l].
        const unsigned short* pa = reinterpret_cast<const unsigned short*>(blk + 64 * h + l8);
        const unsigned short* pb = reinterpret_cast<const unsigned short*>(blk + 64 * h + 32 + l8);
        const unsigned short* ph = reinterpret_cast<const unsigned short*>(blk + 128 + 32 * h + l8);
        std::uint32_t a[2], b[2], q[2];
        a[0] = pa[0] | (std::uint32_t(pa[1]) << 16); a[1] = pa[2] | (std::uint32_t(pa[3]) << 16);
        b[0] = pb[0] | (std::uint32_t(pb[1]) << 16); b[1] = pb[2] | (std::uint32_t(pb[3]) << 16);
        q[0] = ph[0] | (std::uint32_t(ph[1]) << 16); q[1] = ph[2] | (std::uint32_t(ph[3]) << 16);
#pragma unroll
        for (int g = 0; g < 4; ++g) {
          const float s = d * float(scales[8 * h + l8 / 16 + 2 * g]);
#pragma unroll
          for (int i = 0; i < 8; ++i) {
            const std::uint32_t ab = byte_of((g & 1) ? b[i >> 2] : a[i >> 2], i & 3);
            const std::uint32_t lo = (g < 2) ? (ab & 15) : (ab >> 4);
            const std::uint32_t hi = (byte_of(q[i >> 2], i & 3) >> (2 * g)) & 3;
            v[i] = s * float(int(lo | (hi << 4)) - 32);
          }
          store8h(dst + 128 * h + 32 * g + l8, v);
        }
      }
    }
  } else {  // Q8_0: 8 blocks of 32
#pragma unroll 1
    for (int b = 0; b < 8; ++b) {
      const std::uint8_t* blk = row + (kb * 8 + b) * 34;
      const float d = h2f(*reinterpret_cast<const unsigned short*>(blk));
#pragma unroll
      for (int part = 0; part < 4; ++part) {
        const unsigned short* p = reinterpret_cast<const unsigned short*>(blk + 2 + 8 * part);
#pragma unroll
        for (int i = 0; i < 8; i += 2) {
          const unsigned short w = p[i / 2];
          v[i] = d * float(static_cast<signed char>(w & 0xFF));
          v[i + 1] = d * float(static_cast<signed char>(w >> 8));
        }
        store8h(dst + 32 * b + 8 * part, v);
      }
    }
  }
}

}  // namespace pv::engine::cuda
