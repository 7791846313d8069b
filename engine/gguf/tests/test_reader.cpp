// Writer -> reader round trip over every value type, nested arrays, alignments and tensor data;
// v2 files; files on disk through the memory mapping.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "engine/gguf/malformed.hpp"
#include "engine/gguf/reader.hpp"
#include "engine/gguf/writer.hpp"

using namespace pv::engine::gguf;
using pv::engine::quant::Type;

namespace {
Writer sample_writer(std::uint32_t alignment) {
  Writer w(alignment);
  Value v;
  v.type = ValueType::u8; v.u = 250; w.set("k.u8", v);
  v = {}; v.type = ValueType::i8; v.i = -100; w.set("k.i8", v);
  v = {}; v.type = ValueType::u16; v.u = 65000; w.set("k.u16", v);
  v = {}; v.type = ValueType::i16; v.i = -30000; w.set("k.i16", v);
  w.set("k.u32", Value::of_u32(4000000000u));
  w.set("k.i32", Value::of_i32(-2000000000));
  w.set("k.f32", Value::of_f32(1e-6f));
  w.set("k.bool", Value::of_bool(true));
  w.set("k.string", Value::of_string("héllo\0world"));
  w.set("k.u64", Value::of_u64(1ull << 60));
  v = {}; v.type = ValueType::i64; v.i = -(1ll << 60); w.set("k.i64", v);
  v = {}; v.type = ValueType::f64; v.f = 3.141592653589793; w.set("k.f64", v);
  w.set("k.strings", Value::of_array(ValueType::string, {Value::of_string("a"), Value::of_string("")}));
  w.set("k.nested", Value::of_array(ValueType::array, {Value::of_array(ValueType::u32, {Value::of_u32(1), Value::of_u32(2)}),
                                                       Value::of_array(ValueType::f32, {})}));
  std::vector<std::uint8_t> a(32 * 4), b(2 * 144);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::uint8_t>(i);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(255 - i % 251);
  w.add_tensor({"t.a", {32}, Type::F32}, a);
  w.add_tensor({"t.b", {256, 2}, Type::Q4_K}, b);
  w.add_tensor({"t.c", {64, 3}, Type::Q8_0});  // filled by the callback
  return w;
}
const TensorFill kFill = [](std::size_t, const TensorSpec&, std::uint8_t* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i * 13 + 1);
};
}  // namespace

TEST_CASE("write then read preserves metadata, tensor infos and bytes") {
  for (std::uint32_t alignment : {32u, 64u, 1u, 4096u}) {
    INFO("alignment " << alignment);
    const Writer w = sample_writer(alignment);
    const File f = File::from_bytes(w.to_bytes(kFill));
    CHECK(f.version() == 3);
    CHECK(f.alignment() == alignment);
    CHECK(f.data_offset() % alignment == 0);
    REQUIRE(f.find("k.string") != nullptr);
    CHECK(f.find("k.string")->s == std::string("héllo\0world"));
    CHECK(f.find("k.i64")->i == -(1ll << 60));
    CHECK(f.find("k.f32")->f == static_cast<double>(1e-6f));
    CHECK(f.find("k.nested")->items[0].items[1].u == 2);
    CHECK(f.find("k.nested")->items[1].elem == ValueType::f32);
    CHECK(f.find("nope") == nullptr);
    const std::size_t expected_keys = alignment == 32 ? 14 : 15;
    REQUIRE(f.metadata().size() == expected_keys);
    REQUIRE(f.tensors().size() == 3);
    const TensorInfo* b = f.find_tensor("t.b");
    REQUIRE(b != nullptr);
    CHECK(b->dims == std::vector<std::uint64_t>{256, 2});
    CHECK(b->type == Type::Q4_K);
    CHECK(b->n_bytes == 288);
    CHECK(f.data(*b)[0] == 255);
    CHECK(f.data(*b)[287] == static_cast<std::uint8_t>(255 - 287 % 251));
    const TensorInfo* c = f.find_tensor("t.c");
    CHECK(c->n_bytes == 3 * 2 * 34);
    CHECK(f.data(*c)[5] == static_cast<std::uint8_t>(5 * 13 + 1));
    // Writing what we read gives the same bytes: nothing lost.
    Writer again(alignment);
    for (const auto& [k, v] : f.metadata())
      if (k != "general.alignment") again.set(k, v);
    for (const TensorInfo& t : f.tensors())
      again.add_tensor({t.name, t.dims, t.type}, std::vector<std::uint8_t>(f.data(t), f.data(t) + t.n_bytes));
    CHECK(again.to_bytes() == w.to_bytes(kFill));
  }
}

TEST_CASE("version 2 files are read like version 3") {
  std::vector<std::uint8_t> bytes = small_valid_gguf();
  bytes[4] = 2;
  const File f = File::from_bytes(bytes);
  CHECK(f.version() == 2);
  CHECK(f.tensors().size() == 2);
  CHECK(f.find("test.nested")->items[0].items.size() == 2);
}

TEST_CASE("files on disk are memory-mapped; missing files give io_error") {
  const std::string path = (std::filesystem::temp_directory_path() / ("pv_gguf_test_reader_" + std::to_string(getpid()) + ".gguf")).string();
  sample_writer(32).write(path, kFill);
  {
    const File f = File::open(path);
    CHECK(f.source() == path);
    CHECK(f.tensors().size() == 3);
    CHECK(f.data(*f.find_tensor("t.a"))[7] == 7);
  }
  std::remove(path.c_str());
  try {
    File::open(path);
    FAIL("opened a missing file");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::io_error);
    CHECK_THAT(e.what(), Catch::Contains(path));
  }
}

TEST_CASE("the writer refuses duplicates and wrong byte counts") {
  Writer w;
  w.set("a", Value::of_u32(1));
  CHECK_THROWS_WITH(w.set("a", Value::of_u32(2)), Catch::Contains("duplicate key 'a'"));
  w.add_tensor({"t", {32}, Type::F32}, std::vector<std::uint8_t>(128));
  CHECK_THROWS_WITH(w.add_tensor({"t", {32}, Type::F32}), Catch::Contains("duplicate tensor 't'"));
  CHECK_THROWS_WITH(w.add_tensor({"u", {32}, Type::F32}, std::vector<std::uint8_t>(5)), Catch::Contains("need 128"));
  CHECK_THROWS(Value::of_array(ValueType::u32, {Value::of_string("x")}));
}
