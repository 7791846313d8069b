#include "engine/gguf/value.hpp"

#include <limits>
#include <stdexcept>

namespace pv::engine::gguf {

const char* to_string(ValueType t) {
  switch (t) {
    case ValueType::u8: return "u8";
    case ValueType::i8: return "i8";
    case ValueType::u16: return "u16";
    case ValueType::i16: return "i16";
    case ValueType::u32: return "u32";
    case ValueType::i32: return "i32";
    case ValueType::f32: return "f32";
    case ValueType::boolean: return "bool";
    case ValueType::string: return "string";
    case ValueType::array: return "array";
    case ValueType::u64: return "u64";
    case ValueType::i64: return "i64";
    case ValueType::f64: return "f64";
  }
  return "invalid";
}

bool is_valid(std::uint32_t raw) { return raw <= 12; }

std::uint64_t min_encoded_size(ValueType t) {
  switch (t) {
    case ValueType::u8: case ValueType::i8: case ValueType::boolean: return 1;
    case ValueType::u16: case ValueType::i16: return 2;
    case ValueType::u32: case ValueType::i32: case ValueType::f32: return 4;
    case ValueType::u64: case ValueType::i64: case ValueType::f64: case ValueType::string: return 8;
    case ValueType::array: return 12;  // element type + count
  }
  return 1;
}

Value Value::of_array(ValueType elem, std::vector<Value> items) {
  for (const Value& v : items)
    if (v.type != elem) throw std::invalid_argument("gguf array: element of type " + std::string(to_string(v.type)) +
                                                    " in an array of " + to_string(elem));
  Value x;
  x.type = ValueType::array;
  x.elem = elem;
  x.items = std::move(items);
  return x;
}

bool Value::is_unsigned() const {
  return type == ValueType::u8 || type == ValueType::u16 || type == ValueType::u32 || type == ValueType::u64;
}
bool Value::is_signed() const {
  return type == ValueType::i8 || type == ValueType::i16 || type == ValueType::i32 || type == ValueType::i64;
}

bool Value::to_int64(std::int64_t* out) const {
  if (is_signed()) { *out = i; return true; }
  if (is_unsigned() && u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    *out = static_cast<std::int64_t>(u);
    return true;
  }
  return false;
}

bool operator==(const Value& a, const Value& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case ValueType::string: return a.s == b.s;
    case ValueType::array: return a.elem == b.elem && a.items == b.items;
    case ValueType::f32: case ValueType::f64: return a.f == b.f || (a.f != a.f && b.f != b.f);
    default: return a.is_signed() ? a.i == b.i : a.u == b.u;
  }
}

}  // namespace pv::engine::gguf
