// pv_dump_dequant OUT_DIR: the C++ side of gguf_crosscheck.py.
//   OUT_DIR/blocks.gguf   for each of Q4_K, Q6_K, Q8_0: tensors "<type>.<set>.quant" (random
//                         and edge-case blocks) and "<type>.<set>.ours" (our f32 dequantisation)
//   OUT_DIR/model.gguf    a `pv synth --preset tiny` file (seed 5)
//   OUT_DIR/model.json    that file as our reader sees it: metadata, tensor infos
//   OUT_DIR/<tensor>.f32  our dequantisation of every tensor of model.gguf (raw little-endian)
// Edge cases: zero scales, the largest f16 scale (65504), f16 subnormal scales, all-max quants
// (0xFF bytes: sc = m = 63, q = 15 / 63), int8 extremes. Set "nonfinite": inf and NaN f16
// scales; compared NaN-as-equal in Python (NaN payloads are not part of the format).
#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <iostream>
#include <vector>

#include "engine/gguf/reader.hpp"
#include "engine/gguf/writer.hpp"
#include "engine/quant/dequant.hpp"
#include "engine/quant/f16.hpp"
#include "engine/synth/rng.hpp"
#include "engine/synth/synth.hpp"

using namespace pv::engine;
using quant::Type;

namespace {

// Byte offsets of the f16 scales inside one block of each type.
std::vector<int> scale_offsets(Type t) {
  if (t == Type::Q4_K) return {0, 2};
  if (t == Type::Q6_K) return {208};
  return {0};
}

std::vector<std::uint8_t> blocks(Type t, const std::string& set, synth::Rng& r, int n_blocks) {
  const std::size_t bb = quant::info(t).block_bytes;
  std::vector<std::uint8_t> v(bb * n_blocks);
  const std::uint16_t scales[] = {0x0000, 0x8000, 0x7BFF, 0xFBFF, 0x0001, 0x03FF, 0x3C00, 0x1400, 0x2E66};
  const std::uint16_t nonfinite[] = {0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE00};
  for (int b = 0; b < n_blocks; ++b) {
    std::uint8_t* p = v.data() + bb * b;
    if (set == "random") {
      for (std::size_t i = 0; i < bb; ++i) p[i] = static_cast<std::uint8_t>(r.next());
      for (int off : scale_offsets(t)) {  // random finite f16 (random exponent below 31)
        std::uint16_t h;
        do h = static_cast<std::uint16_t>(r.next()); while ((h & 0x7C00) == 0x7C00);
        std::memcpy(p + off, &h, 2);
      }
    } else if (set == "edge") {
      const int fill = b % 4;  // 0: all-max bytes, 1: zero bytes, 2: 0x80 (int8 -128), 3: random
      for (std::size_t i = 0; i < bb; ++i)
        p[i] = fill == 0 ? 0xFF : fill == 1 ? 0x00 : fill == 2 ? 0x80 : static_cast<std::uint8_t>(r.next());
      for (int off : scale_offsets(t)) {
        const std::uint16_t h = scales[(b / 4 + off) % std::size(scales)];
        std::memcpy(p + off, &h, 2);
      }
    } else {  // nonfinite
      for (std::size_t i = 0; i < bb; ++i) p[i] = static_cast<std::uint8_t>(r.next());
      const auto offs = scale_offsets(t);
      const std::uint16_t h = nonfinite[b % std::size(nonfinite)];
      std::memcpy(p + offs[static_cast<std::size_t>(b) % offs.size()], &h, 2);
    }
  }
  return v;
}

void write_blocks(const std::string& path) {
  synth::Rng r(2024);
  gguf::Writer w;
  for (Type t : {Type::Q4_K, Type::Q6_K, Type::Q8_0}) {
    const int per_row = quant::info(t).block_values;  // one block per row: rows = blocks
    for (const char* set : {"random", "edge", "nonfinite"}) {
      const int n = 72;
      std::vector<std::uint8_t> q = blocks(t, set, r, n);
      std::vector<float> f(static_cast<std::size_t>(n) * per_row);
      quant::dequantize_row(t, q.data(), f.data(), static_cast<std::int64_t>(f.size()));
      std::vector<std::uint8_t> fb(f.size() * 4);
      std::memcpy(fb.data(), f.data(), fb.size());
      const std::string base = std::string(quant::name(t)) + "." + set;
      const auto U = [](int x) { return static_cast<std::uint64_t>(x); };
      w.add_tensor({base + ".quant", {U(per_row), U(n)}, t}, q);
      w.add_tensor({base + ".ours", {U(per_row), U(n)}, Type::F32}, fb);
    }
  }
  w.write(path);
}

nlohmann::json to_json(const gguf::Value& v) {
  using gguf::ValueType;
  switch (v.type) {
    case ValueType::string: return v.s;
    case ValueType::boolean: return v.u != 0;
    case ValueType::f32: case ValueType::f64: return v.f;
    case ValueType::array: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& x : v.items) a.push_back(to_json(x));
      return a;
    }
    default: return v.is_signed() ? nlohmann::json(v.i) : nlohmann::json(v.u);
  }
}

void dump_model(const std::string& dir) {
  synth::Options o;
  o.preset = "tiny";
  o.seed = 5;
  synth::write_model(o, dir + "/model.gguf");
  const gguf::File f = gguf::File::open(dir + "/model.gguf");
  nlohmann::json j;
  j["version"] = f.version();
  for (const auto& [k, v] : f.metadata()) j["metadata"][k] = {{"type", gguf::to_string(v.type)}, {"value", to_json(v)}};
  for (const gguf::TensorInfo& t : f.tensors()) {
    j["tensors"].push_back({{"name", t.name}, {"dims", t.dims}, {"type", quant::name(t.type)},
                            {"file_offset", f.data_offset() + t.offset}});
    std::vector<float> x(t.n_elements);
    quant::dequantize_row(t.type, f.data(t), x.data(), static_cast<std::int64_t>(t.n_elements));
    std::ofstream(dir + "/" + t.name + ".f32", std::ios::binary)
        .write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(x.size() * 4));
  }
  std::ofstream(dir + "/model.json") << j.dump(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: pv_dump_dequant OUT_DIR\n";
    return 2;
  }
  try {
    write_blocks(std::string(argv[1]) + "/blocks.gguf");
    dump_model(argv[1]);
  } catch (const std::exception& e) {
    std::cerr << "pv_dump_dequant: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
