// GGUF header parsing: every read is bounds-checked, every count is checked against the bytes
// left before anything is allocated, so a hostile file costs at most its own size in memory.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "engine/gguf/reader.hpp"

namespace pv::engine::gguf {
namespace {

class Cursor {
 public:
  Cursor(const std::uint8_t* p, std::uint64_t n, const std::string& src) : p_(p), n_(n), src_(src) {}
  std::uint64_t pos() const { return pos_; }
  std::uint64_t left() const { return n_ - pos_; }
  const std::string& src() const { return src_; }

  template <class T>
  T read(const char* what) {
    if (left() < sizeof(T))
      fail_at(Errc::truncated, src_, pos_, std::string("file ends inside ") + what + " (" +
                                               std::to_string(sizeof(T)) + " bytes needed, " +
                                               std::to_string(left()) + " left)");
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string string(const std::string& what) {
    const std::uint64_t at = pos_;
    const auto len = read<std::uint64_t>((what + " length").c_str());
    if (len > left())
      fail_at(Errc::string_too_long, src_, at, what + " length " + std::to_string(len) +
                                                   " is larger than the " + std::to_string(left()) +
                                                   " bytes left in the file");
    std::string s(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    return s;
  }

  // A count of items each taking at least `min_size` bytes must fit in what is left.
  void check_count(std::uint64_t count, std::uint64_t min_size, std::uint64_t at, const std::string& what) {
    if (count > left() / min_size)
      fail_at(Errc::count_too_large, src_, at, what + " " + std::to_string(count) +
                                                   " cannot fit in the " + std::to_string(left()) +
                                                   " bytes left in the file");
  }

 private:
  const std::uint8_t* p_;
  std::uint64_t n_, pos_ = 0;
  const std::string& src_;
};

Value read_value(Cursor& c, ValueType t, const std::string& key, int depth) {
  Value v;
  v.type = t;
  switch (t) {
    case ValueType::u8: v.u = c.read<std::uint8_t>(key.c_str()); break;
    case ValueType::i8: v.i = c.read<std::int8_t>(key.c_str()); break;
    case ValueType::u16: v.u = c.read<std::uint16_t>(key.c_str()); break;
    case ValueType::i16: v.i = c.read<std::int16_t>(key.c_str()); break;
    case ValueType::u32: v.u = c.read<std::uint32_t>(key.c_str()); break;
    case ValueType::i32: v.i = c.read<std::int32_t>(key.c_str()); break;
    case ValueType::u64: v.u = c.read<std::uint64_t>(key.c_str()); break;
    case ValueType::i64: v.i = c.read<std::int64_t>(key.c_str()); break;
    case ValueType::f32: v.f = c.read<float>(key.c_str()); break;
    case ValueType::f64: v.f = c.read<double>(key.c_str()); break;
    case ValueType::boolean: {
      const std::uint64_t at = c.pos();
      v.u = c.read<std::uint8_t>(key.c_str());
      if (v.u > 1) fail_at(Errc::bad_value_type, c.src(), at, "key '" + key + "': bool value " + std::to_string(v.u) + " is not 0 or 1");
      break;
    }
    case ValueType::string: v.s = c.string("key '" + key + "' string"); break;
    case ValueType::array: {
      if (depth >= kMaxNesting)
        fail_at(Errc::bad_value_type, c.src(), c.pos(), "key '" + key + "': arrays nested deeper than " + std::to_string(kMaxNesting));
      const std::uint64_t at = c.pos();
      const auto raw = c.read<std::uint32_t>("array element type");
      if (!is_valid(raw))
        fail_at(Errc::bad_value_type, c.src(), at, "key '" + key + "': unknown array element type " + std::to_string(raw));
      v.elem = static_cast<ValueType>(raw);
      const std::uint64_t at_n = c.pos();
      const auto n = c.read<std::uint64_t>("array length");
      c.check_count(n, min_encoded_size(v.elem), at_n, "key '" + key + "': array length");
      v.items.reserve(n);
      for (std::uint64_t k = 0; k < n; ++k) v.items.push_back(read_value(c, v.elem, key, depth + 1));
      break;
    }
  }
  return v;
}

std::uint64_t read_alignment(const Value& v, const std::string& src) {
  if (!v.is_unsigned() || v.u == 0 || !std::has_single_bit(v.u) || v.u > (1u << 30))
    fail(Errc::bad_alignment, src, "general.alignment must be an unsigned power of two up to 2^30, got " +
                                       std::string(to_string(v.type)) + " " + (v.is_unsigned() ? std::to_string(v.u) : "value"));
  return v.u;
}

TensorInfo read_tensor_info(Cursor& c) {
  TensorInfo t;
  t.info_offset = c.pos();
  t.name = c.string("tensor name");
  const std::string who = "tensor '" + t.name + "'";
  const std::uint64_t at_dims = c.pos();
  const auto nd = c.read<std::uint32_t>("tensor n_dims");
  if (nd < 1 || nd > kMaxDims)
    fail_at(Errc::too_many_dims, c.src(), at_dims, who + ": n_dims " + std::to_string(nd) + " outside [1, 4]");
  t.n_elements = 1;
  for (std::uint32_t k = 0; k < nd; ++k) {
    const std::uint64_t at = c.pos();
    const auto d = c.read<std::uint64_t>("tensor dimension");
    if (d == 0 || d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / t.n_elements)
      fail_at(Errc::bad_dimension, c.src(), at, who + ": dimension " + std::to_string(k) + " = " +
                                                    std::to_string(d) + " is zero or overflows the element count");
    t.dims.push_back(d);
    t.n_elements *= d;
  }
  const std::uint64_t at_type = c.pos();
  const auto raw = c.read<std::uint32_t>("tensor type");
  const auto ti = quant::type_info(raw);
  if (!ti) fail_at(Errc::unknown_type, c.src(), at_type, who + ": unknown ggml type id " + std::to_string(raw));
  t.type = ti->type;
  if (t.dims[0] % static_cast<std::uint64_t>(ti->block_values) != 0)
    fail_at(Errc::bad_element_count, c.src(), at_type, who + ": row length " + std::to_string(t.dims[0]) +
                                                           " is not a multiple of the " + ti->name + " block size " +
                                                           std::to_string(ti->block_values));
  const std::uint64_t blocks = t.n_elements / static_cast<std::uint64_t>(ti->block_values);
  if (blocks > std::numeric_limits<std::uint64_t>::max() / ti->block_bytes)
    fail_at(Errc::bad_dimension, c.src(), at_dims, who + ": byte size overflows 64 bits");
  t.n_bytes = blocks * ti->block_bytes;
  t.offset = c.read<std::uint64_t>("tensor data offset");
  return t;
}

}  // namespace

void File::parse() {
  Cursor c(base_, size_, source_);
  const char magic[4] = {'G', 'G', 'U', 'F'};
  if (size_ < 4 || std::memcmp(base_, magic, 4) != 0)
    fail_at(Errc::bad_magic, source_, 0, "not a GGUF file (the first 4 bytes are not \"GGUF\")");
  c.read<std::uint32_t>("magic");
  version_ = c.read<std::uint32_t>("version");
  if (version_ != 2 && version_ != 3)
    fail_at(Errc::unsupported_version, source_, 4, "GGUF version " + std::to_string(version_) + " is not supported (2 or 3)");
  const std::uint64_t at_tc = c.pos();
  const auto n_tensors = c.read<std::uint64_t>("tensor count");
  const std::uint64_t at_kc = c.pos();
  const auto n_kv = c.read<std::uint64_t>("metadata key count");
  c.check_count(n_kv, 8 + 4 + 1, at_kc, "metadata key count");  // key length, type, 1-byte value
  c.check_count(n_tensors, 8 + 4 + 8 + 4 + 8, at_tc, "tensor count");  // name, n_dims, 1 dim, type, offset

  std::unordered_set<std::string> keys;
  for (std::uint64_t k = 0; k < n_kv; ++k) {
    const std::uint64_t at = c.pos();
    std::string key = c.string("metadata key");
    if (!keys.insert(key).second) fail_at(Errc::duplicate_key, source_, at, "duplicate metadata key '" + key + "'");
    const std::uint64_t at_t = c.pos();
    const auto raw = c.read<std::uint32_t>("value type");
    if (!is_valid(raw))
      fail_at(Errc::bad_value_type, source_, at_t, "key '" + key + "': unknown value type " + std::to_string(raw));
    Value v = read_value(c, static_cast<ValueType>(raw), key, 0);
    if (key == "general.alignment") alignment_ = read_alignment(v, source_);
    kv_.emplace_back(std::move(key), std::move(v));
  }

  std::unordered_set<std::string> names;
  for (std::uint64_t k = 0; k < n_tensors; ++k) {
    TensorInfo t = read_tensor_info(c);
    if (!names.insert(t.name).second)
      fail_at(Errc::duplicate_tensor, source_, t.info_offset, "duplicate tensor name '" + t.name + "'");
    tensors_.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment after the tensor infos.
  data_offset_ = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
  const std::uint64_t data_size = size_ > data_offset_ ? size_ - data_offset_ : 0;
  for (const TensorInfo& t : tensors_) {
    const std::string who = "tensor '" + t.name + "'";
    if (t.offset % alignment_ != 0)
      fail_at(Errc::misaligned_tensor, source_, t.info_offset, who + ": data offset " + std::to_string(t.offset) +
                                                               " is not a multiple of the alignment " + std::to_string(alignment_));
    if (t.offset > data_size || t.n_bytes > data_size - t.offset)
      fail_at(Errc::offset_out_of_range, source_, t.info_offset,
              who + ": data [" + std::to_string(t.offset) + ", +" + std::to_string(t.n_bytes) +
                  ") lies outside the data section of " + std::to_string(data_size) + " bytes starting at byte " +
                  std::to_string(data_offset_));
  }
  std::vector<const TensorInfo*> order;
  for (const TensorInfo& t : tensors_) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (std::size_t k = 1; k < order.size(); ++k)
    if (order[k - 1]->offset + order[k - 1]->n_bytes > order[k]->offset)
      fail_at(Errc::overlapping_tensors, source_, order[k]->info_offset,
              "tensor '" + order[k]->name + "' at data offset " + std::to_string(order[k]->offset) +
                  " overlaps tensor '" + order[k - 1]->name + "' [" + std::to_string(order[k - 1]->offset) + ", +" +
                  std::to_string(order[k - 1]->n_bytes) + ")");
}

}  // namespace pv::engine::gguf
