#include "falsifiers/framework/generators.hpp"

#include <cmath>
#include <cstring>

namespace pv::falsify {

namespace q = engine::quant;

float Rng::normal() {
  // Box-Muller; 1 - u keeps the log argument in (0, 1].
  double u = 1.0 - uniform(), v = uniform();
  return static_cast<float>(std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v));
}

void Rng::fill_bytes(std::uint8_t* p, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x = next();
    std::memcpy(p + i, &x, 8);
  }
  if (i < n) {
    std::uint64_t x = next();
    std::memcpy(p + i, &x, n - i);
  }
}

void showValue(const MoeShape& s, std::ostream& os) {
  os << "hidden=" << s.hidden << " E=" << s.n_experts << " k=" << s.top_k << " ffn=" << s.expert_ffn
     << " T=" << s.tokens;
}

rc::Gen<MoeShape> gen_shape(const ShapeBounds& b) {
  return rc::gen::mapcat(rc::gen::inRange(1, b.max_experts + 1), [b](int e) {
    return rc::gen::apply(
        [e](int hb, int k, int fb, int t) {
          return MoeShape{256 * hb, e, k, 256 * fb, t};
        },
        rc::gen::inRange(1, b.max_hidden_blocks + 1), rc::gen::inRange(1, std::min(e, b.max_top_k) + 1),
        rc::gen::inRange(1, b.max_ffn_blocks + 1), rc::gen::inRange(1, b.max_tokens + 1));
  });
}

const char* to_string(BlockKind k) {
  switch (k) {
    case BlockKind::random: return "random";
    case BlockKind::zero: return "zero";
    case BlockKind::tiny_scale: return "tiny_scale";
    case BlockKind::huge_scale: return "huge_scale";
    case BlockKind::all_max: return "all_max";
  }
  return "?";
}
void showValue(BlockKind k, std::ostream& os) { os << to_string(k); }

rc::Gen<BlockKind> gen_block_kind() {
  return rc::gen::element(BlockKind::random, BlockKind::zero, BlockKind::tiny_scale,
                          BlockKind::huge_scale, BlockKind::all_max);
}
rc::Gen<BlockKind> gen_adversarial_block_kind() {
  return rc::gen::element(BlockKind::zero, BlockKind::tiny_scale, BlockKind::huge_scale, BlockKind::all_max);
}

std::uint16_t scale_bits(BlockKind k, Rng& rng, ScaleRange r) {
  switch (k) {
    case BlockKind::zero: return 0x0000;
    case BlockKind::tiny_scale: return static_cast<std::uint16_t>(1 + rng.next() % 0x3FF);  // subnormal
    case BlockKind::huge_scale: return 0x7BFF;                                             // 65504
    case BlockKind::all_max: return 0x3C00;                                                // 1.0
    case BlockKind::random: break;
  }
  // f16 exponent field = exponent + 15; random mantissa.
  const int span = r.hi - r.lo + 1;
  std::uint16_t exp = static_cast<std::uint16_t>(15 + r.lo + static_cast<int>(rng.next() % static_cast<unsigned>(span)));
  return static_cast<std::uint16_t>((exp << 10) | (rng.next() & 0x3FF));
}

void fill_q4k(BlockKind k, Rng& rng, q::BlockQ4K& b, ScaleRange r) {
  rng.fill_bytes(reinterpret_cast<std::uint8_t*>(&b), sizeof b);
  b.d = scale_bits(k, rng, r);
  b.dmin = scale_bits(k, rng, r);
  if (k == BlockKind::all_max) {
    std::memset(b.scales, 0xFF, sizeof b.scales);  // every 6-bit scale and min = 63
    std::memset(b.qs, 0xFF, sizeof b.qs);          // every nibble = 15
  }
}

void fill_q6k(BlockKind k, Rng& rng, q::BlockQ6K& b, ScaleRange r) {
  rng.fill_bytes(reinterpret_cast<std::uint8_t*>(&b), sizeof b);
  b.d = scale_bits(k, rng, r);
  if (k == BlockKind::all_max) {
    std::memset(b.ql, 0xFF, sizeof b.ql);
    std::memset(b.qh, 0xFF, sizeof b.qh);  // q = 63 -> q - 32 = 31
    std::memset(b.scales, 0x7F, sizeof b.scales);
  }
}

void fill_q8_0(BlockKind k, Rng& rng, q::BlockQ8_0& b, ScaleRange r) {
  rng.fill_bytes(reinterpret_cast<std::uint8_t*>(&b), sizeof b);
  b.d = scale_bits(k, rng, r);
  if (k == BlockKind::all_max) std::memset(b.qs, 0x7F, sizeof b.qs);
}

void fill_blocks(q::Type type, BlockKind kind, Rng& rng, std::uint8_t* dst, std::size_t n_blocks, int lo_exp,
                 int hi_exp, bool adversarial_mix) {
  const ScaleRange r{lo_exp, hi_exp};
  for (std::size_t i = 0; i < n_blocks; ++i) {
    BlockKind k = kind;
    if (adversarial_mix && kind == BlockKind::random && rng.next() % 8 == 0)
      k = static_cast<BlockKind>(1 + rng.next() % 4);
    switch (type) {
      case q::Type::Q4_K: fill_q4k(k, rng, reinterpret_cast<q::BlockQ4K*>(dst)[i], r); break;
      case q::Type::Q6_K: fill_q6k(k, rng, reinterpret_cast<q::BlockQ6K*>(dst)[i], r); break;
      case q::Type::Q8_0: fill_q8_0(k, rng, reinterpret_cast<q::BlockQ8_0*>(dst)[i], r); break;
      default: throw std::invalid_argument("fill_blocks: no generator for this block type");
    }
  }
}

const char* to_string(InputKind k) {
  switch (k) {
    case InputKind::random: return "random";
    case InputKind::zeros: return "zeros";
    case InputKind::large: return "large";
    case InputKind::tiny: return "tiny";
    case InputKind::constant: return "constant";
  }
  return "?";
}
void showValue(InputKind k, std::ostream& os) { os << to_string(k); }

rc::Gen<InputKind> gen_input_kind() {
  return rc::gen::element(InputKind::random, InputKind::zeros, InputKind::large, InputKind::tiny,
                          InputKind::constant);
}

std::vector<float> make_input(InputKind k, Rng& rng, int tokens, int hidden) {
  std::vector<float> x(static_cast<std::size_t>(tokens) * hidden, 0.0f);
  const float c = rng.normal();
  for (auto& v : x) {
    switch (k) {
      case InputKind::random: v = rng.normal(); break;
      case InputKind::zeros: v = 0; break;
      case InputKind::large: v = rng.normal() * 1e4f; break;
      case InputKind::tiny: v = rng.normal() * 1e-4f; break;
      case InputKind::constant: v = c; break;
    }
  }
  return x;
}

}  // namespace pv::falsify
