#include "engine/gguf/malformed.hpp"

#include <cstring>

#include "engine/gguf/value.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::gguf {
namespace {

struct TensorRec {
  std::string name;
  std::vector<std::uint64_t> dims;
  std::uint32_t type;
  std::uint64_t offset;
};

// Every field of the base file, so one mutation is one changed field.
struct Recipe {
  char magic[4] = {'G', 'G', 'U', 'F'};
  std::uint32_t version = 3;
  std::uint64_t n_tensors_override = 0, n_kv_override = 0;  // 0: the real counts
  std::uint32_t alignment = 32;
  bool duplicate_key = false;
  std::uint64_t key_len_override = 0;   // first key's length field
  std::uint32_t scalar_type_override = 4;  // type of test.scalar (u32)
  std::uint64_t array_len_override = 0;
  int nesting = 2;
  std::vector<TensorRec> tensors = {{"a", {32}, 0, 0}, {"b", {256, 2}, 12, 128}};
  std::uint64_t data_bytes = 128 + 288;
  std::size_t truncate_to = 0;  // 0: keep everything
  bool cut_last_offset = false;  // end the file inside the last tensor's offset field
};

struct Bytes {
  std::vector<std::uint8_t> v;
  template <class T>
  void put(T x) {
    std::uint8_t b[sizeof(T)];
    std::memcpy(b, &x, sizeof(T));
    v.insert(v.end(), b, b + sizeof(T));
  }
  void str(const std::string& s, std::uint64_t len_override = 0) {
    put<std::uint64_t>(len_override ? len_override : s.size());
    v.insert(v.end(), s.begin(), s.end());
  }
};

void nested(Bytes& b, int depth) {  // an array of `depth` levels ending in u8 {1, 2}
  if (depth == 1) {
    b.put<std::uint32_t>(0);
    b.put<std::uint64_t>(2);
    b.put<std::uint8_t>(1);
    b.put<std::uint8_t>(2);
    return;
  }
  b.put<std::uint32_t>(9);
  b.put<std::uint64_t>(1);
  nested(b, depth - 1);
}

std::vector<std::uint8_t> build(const Recipe& r) {
  Bytes b;
  b.v.insert(b.v.end(), r.magic, r.magic + 4);
  b.put(r.version);
  const std::uint64_t n_kv = r.duplicate_key ? 6 : 5;
  b.put<std::uint64_t>(r.n_tensors_override ? r.n_tensors_override : r.tensors.size());
  b.put<std::uint64_t>(r.n_kv_override ? r.n_kv_override : n_kv);
  b.str("general.architecture", r.key_len_override);
  b.put<std::uint32_t>(8);
  b.str("test");
  b.str("test.nested");
  b.put<std::uint32_t>(9);
  nested(b, r.nesting);
  b.str("general.alignment");
  b.put<std::uint32_t>(4);
  b.put<std::uint32_t>(r.alignment);
  b.str("test.scalar");
  b.put<std::uint32_t>(r.scalar_type_override);
  b.put<std::uint32_t>(7);
  b.str("test.strings");  // array of strings; its length is the array_len mutation point
  b.put<std::uint32_t>(9);
  b.put<std::uint32_t>(8);
  b.put<std::uint64_t>(r.array_len_override ? r.array_len_override : 2);
  b.str("x");
  b.str("yz");
  if (r.duplicate_key) {
    b.str("test.scalar");
    b.put<std::uint32_t>(4);
    b.put<std::uint32_t>(8);
  }
  for (const TensorRec& t : r.tensors) {
    b.str(t.name);
    b.put<std::uint32_t>(static_cast<std::uint32_t>(t.dims.size()));
    for (auto d : t.dims) b.put(d);
    b.put(t.type);
    b.put(t.offset);
  }
  if (r.cut_last_offset) {
    b.v.resize(b.v.size() - 4);
    return b.v;
  }
  const std::size_t align = r.alignment && (r.alignment & (r.alignment - 1)) == 0 ? r.alignment : 32;
  while (b.v.size() % align) b.v.push_back(0);
  for (std::uint64_t i = 0; i < r.data_bytes; ++i) b.v.push_back(static_cast<std::uint8_t>(i * 7));
  if (r.truncate_to) b.v.resize(r.truncate_to);
  return b.v;
}

}  // namespace

std::vector<std::uint8_t> small_valid_gguf() { return build(Recipe{}); }

std::vector<MalformedCase> malformed_corpus() {
  std::vector<MalformedCase> out;
  auto add = [&](const char* name, const char* what, Errc e, auto mutate) {
    Recipe r;
    mutate(r);
    out.push_back({name, what, build(r), e});
  };
  add("bad_magic", "magic GGUX", Errc::bad_magic, [](Recipe& r) { r.magic[3] = 'X'; });
  add("version_1", "version 1 (u32 counts, unsupported)", Errc::unsupported_version, [](Recipe& r) { r.version = 1; });
  add("version_4", "version 4", Errc::unsupported_version, [](Recipe& r) { r.version = 4; });
  add("empty_after_magic", "file cut after the magic", Errc::truncated, [](Recipe& r) { r.truncate_to = 6; });
  add("truncated_in_tensor_info", "file cut inside tensor b's offset field", Errc::truncated, [](Recipe& r) { r.cut_last_offset = true; });
  add("truncated_in_data", "file cut inside tensor b's data", Errc::offset_out_of_range, [](Recipe& r) { r.data_bytes = 300; });
  add("kv_count_huge", "metadata key count 2^62", Errc::count_too_large, [](Recipe& r) { r.n_kv_override = 1ull << 62; });
  add("tensor_count_huge", "tensor count 2^40", Errc::count_too_large, [](Recipe& r) { r.n_tensors_override = 1ull << 40; });
  add("array_length_huge", "string array length 2^61", Errc::count_too_large, [](Recipe& r) { r.array_len_override = 1ull << 61; });
  add("string_length_huge", "first key length 2^50", Errc::string_too_long, [](Recipe& r) { r.key_len_override = 1ull << 50; });
  add("unknown_value_type", "value type 13", Errc::bad_value_type, [](Recipe& r) { r.scalar_type_override = 13; });
  add("bool_not_0_or_1", "test.scalar declared bool, byte 7", Errc::bad_value_type, [](Recipe& r) { r.scalar_type_override = 7; });
  add("nesting_too_deep", "arrays nested 9 deep", Errc::bad_value_type, [](Recipe& r) { r.nesting = 9; });
  add("duplicate_key", "test.scalar twice", Errc::duplicate_key, [](Recipe& r) { r.duplicate_key = true; });
  add("alignment_not_pow2", "general.alignment 48", Errc::bad_alignment, [](Recipe& r) { r.alignment = 48; });
  add("alignment_zero", "general.alignment 0", Errc::bad_alignment, [](Recipe& r) { r.alignment = 0; });
  add("five_dims", "tensor a with 5 dims", Errc::too_many_dims, [](Recipe& r) { r.tensors[0].dims = {2, 2, 2, 2, 2}; });
  add("zero_dims", "tensor a with n_dims 0", Errc::too_many_dims, [](Recipe& r) { r.tensors[0].dims = {}; });
  add("zero_dimension", "tensor a with dims [0]", Errc::bad_dimension, [](Recipe& r) { r.tensors[0].dims = {0}; });
  add("dimension_overflow", "tensor b dims [256, 2^62, 4]", Errc::bad_dimension,
      [](Recipe& r) { r.tensors[1].dims = {256, 1ull << 62, 4}; });
  add("unknown_type", "tensor b type 2 (Q4_0)", Errc::unknown_type, [](Recipe& r) { r.tensors[1].type = 2; });
  add("partial_block", "tensor b Q4_K with rows of 100", Errc::bad_element_count, [](Recipe& r) { r.tensors[1].dims = {100, 2}; });
  add("duplicate_tensor", "two tensors named a", Errc::duplicate_tensor, [](Recipe& r) { r.tensors[1].name = "a"; });
  add("misaligned_tensor", "tensor b at data offset 130", Errc::misaligned_tensor, [](Recipe& r) { r.tensors[1].offset = 130; });
  add("offset_past_end", "tensor b at data offset 2^40", Errc::offset_out_of_range, [](Recipe& r) { r.tensors[1].offset = 1ull << 40; });
  add("offset_wraps", "tensor b at data offset 2^64 - 32", Errc::offset_out_of_range, [](Recipe& r) { r.tensors[1].offset = ~31ull; });
  add("overlapping_tensors", "tensor b at data offset 96, inside a", Errc::overlapping_tensors, [](Recipe& r) { r.tensors[1].offset = 96; });
  return out;
}

}  // namespace pv::engine::gguf
