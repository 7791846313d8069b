// gguf-loader-v1: FALSIFY-GGUF-MALFORMED-001 (each malformed file rejected with its own
// error) and FALSIFY-GGUF-ROUNDTRIP-001 (write then read preserves everything).
#include <fmt/core.h>

#include <cstring>

#include "engine/gguf/malformed.hpp"
#include "engine/gguf/reader.hpp"
#include "engine/gguf/writer.hpp"
#include "falsifiers/framework/generators.hpp"
#include "falsifiers/framework/property.hpp"

namespace pv::falsify::suite {
namespace {

namespace g = engine::gguf;
namespace q = engine::quant;

void gguf_malformed(Context& ctx) {
  const auto corpus = g::malformed_corpus();
  if (corpus.empty()) throw FalsifierError("the malformed GGUF corpus is empty");
  double wrong = 0;
  for (const auto& c : corpus) {
    std::string got = "accepted";
    try {
      g::File::from_bytes(c.bytes, c.name);
    } catch (const g::Error& e) {
      if (e.code() == c.expected) continue;
      got = fmt::format("{} ({})", g::to_string(e.code()), e.what());
    } catch (const std::exception& e) {
      got = fmt::format("an untyped exception ({})", e.what());
    }
    ++wrong;
    ctx.fail_with(fmt::format("malformed case '{}' ({}): expected {}, got {}", c.name, c.mutation,
                              g::to_string(c.expected), got));
  }
  // The valid base itself must load: a reader that rejects everything would pass the above.
  try {
    g::File::from_bytes(g::small_valid_gguf(), "small_valid_gguf");
  } catch (const std::exception& e) {
    ++wrong;
    ctx.fail_with(std::string("the valid base file is rejected: ") + e.what());
  }
  ctx.note(fmt::format("{} malformed files and the valid base", corpus.size()));
  ctx.check("wrong_or_missing_errors", wrong);
}

g::Value gen_scalar(g::ValueType t, Rng& rng) {
  using T = g::ValueType;
  g::Value v;
  v.type = t;
  const std::uint64_t r = rng.next();
  switch (t) {
    case T::u8: v.u = r & 0xFF; break;
    case T::u16: v.u = r & 0xFFFF; break;
    case T::u32: v.u = r & 0xFFFFFFFF; break;
    case T::u64: v.u = r; break;
    case T::i8: v.i = static_cast<std::int8_t>(r); break;
    case T::i16: v.i = static_cast<std::int16_t>(r); break;
    case T::i32: v.i = static_cast<std::int32_t>(r); break;
    case T::i64: v.i = static_cast<std::int64_t>(r); break;
    case T::f32: v.f = static_cast<float>(rng.normal() * 1e3); break;
    case T::f64: v.f = rng.normal() * 1e-3; break;
    case T::boolean: v.u = r & 1; break;
    case T::string: v.s = std::string(r % 40, static_cast<char>('a' + r % 26)) + "\xc3\xa9"; break;
    case T::array: break;
  }
  return v;
}

void gguf_roundtrip(Context& ctx) {
  PropertyOptions opt;
  opt.cases = ctx.int_param("cases", 50);
  property(ctx, "write then read preserves metadata, tensor infos and bytes", [&](Probe& p) {
    const int n_keys = *rc::gen::inRange(0, 9);
    const int n_tensors = *rc::gen::inRange(0, 5);
    const std::uint32_t alignment = *rc::gen::element(32u, 64u, 128u, 8u);
    Rng rng(*rc::gen::arbitrary<std::uint64_t>());
    g::Writer w(alignment);
    std::vector<std::pair<std::string, g::Value>> kv;
    for (int i = 0; i < n_keys; ++i) {
      auto t = static_cast<g::ValueType>(rng.next() % 13);
      g::Value v;
      if (t == g::ValueType::array) {
        auto elem = static_cast<g::ValueType>(rng.next() % 13);
        if (elem == g::ValueType::array) elem = g::ValueType::string;
        std::vector<g::Value> items;
        for (std::uint64_t j = rng.next() % 5; j > 0; --j) items.push_back(gen_scalar(elem, rng));
        v = g::Value::of_array(elem, std::move(items));
      } else {
        v = gen_scalar(t, rng);
      }
      kv.emplace_back(fmt::format("test.key{}", i), v);
      w.set(kv.back().first, v);
    }
    const q::Type types[] = {q::Type::F32, q::Type::F16, q::Type::Q4_K, q::Type::Q6_K, q::Type::Q8_0};
    std::vector<g::TensorSpec> specs;
    std::vector<std::vector<std::uint8_t>> data;
    for (int i = 0; i < n_tensors; ++i) {
      g::TensorSpec s;
      s.name = fmt::format("blk.{}.t", i);
      s.type = types[rng.next() % 5];
      s.dims = {static_cast<std::uint64_t>(q::info(s.type).block_values) * (1 + rng.next() % 2)};
      for (std::uint64_t d = rng.next() % 3; d > 0; --d) s.dims.push_back(1 + rng.next() % 3);
      std::vector<std::uint8_t> b(s.n_bytes());
      rng.fill_bytes(b.data(), b.size());
      specs.push_back(s);
      data.push_back(b);
      w.add_tensor(s, b);
    }
    p.describe(fmt::format("{} keys, {} tensors, alignment {}", n_keys, n_tensors, alignment));
    double mismatches = 0;
    auto miss = [&](const std::string& what) {
      ++mismatches;
      p.describe(what);
    };
    try {
      const g::File f = g::File::from_bytes(w.to_bytes(), "roundtrip");
      std::size_t user_keys = 0;
      for (const auto& [key, value] : f.metadata()) {
        if (key.rfind("test.", 0) != 0) continue;
        if (user_keys >= kv.size() || kv[user_keys].first != key || !(kv[user_keys].second == value))
          miss("metadata key " + key + " differs or is out of order");
        ++user_keys;
      }
      if (user_keys != kv.size()) miss(fmt::format("{} keys read back, {} written", user_keys, kv.size()));
      if (f.tensors().size() != specs.size()) miss(fmt::format("{} tensors read back", f.tensors().size()));
      for (std::size_t i = 0; i < std::min(specs.size(), f.tensors().size()); ++i) {
        const auto& t = f.tensors()[i];
        if (t.name != specs[i].name || t.dims != specs[i].dims || t.type != specs[i].type) miss("tensor info " + specs[i].name);
        else if (t.n_bytes != data[i].size() || std::memcmp(f.data(t), data[i].data(), data[i].size()) != 0)
          miss("tensor bytes " + specs[i].name);
        else if (t.offset % alignment != 0) miss("tensor " + specs[i].name + " not aligned");
      }
    } catch (const std::exception& e) {
      miss(std::string("the written file does not read back: ") + e.what());
    }
    p.measure("mismatches", mismatches);
  }, opt);
}

PV_FALSIFIER({"FALSIFY-GGUF-MALFORMED-001", "golden", {"engine/gguf"}, &gguf_malformed});
PV_FALSIFIER({"FALSIFY-GGUF-ROUNDTRIP-001", "property", {"engine/gguf"}, &gguf_roundtrip});

}  // namespace
}  // namespace pv::falsify::suite
