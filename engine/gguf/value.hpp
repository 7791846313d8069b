#pragma once
// GGUF metadata values: the 13 value types, arrays of any of them (arrays of arrays included).
#include <cstdint>
#include <string>
#include <vector>

namespace pv::engine::gguf {

enum class ValueType : std::uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};
const char* to_string(ValueType t);
bool is_valid(std::uint32_t raw_type);
// Bytes the encoding of one value of type t takes at least (strings: the 8-byte length).
std::uint64_t min_encoded_size(ValueType t);

struct Value {
  ValueType type = ValueType::u32;
  std::uint64_t u = 0;         // u8..u64, boolean (0/1)
  std::int64_t i = 0;          // i8..i64
  double f = 0;                // f32, f64 (f32 stored exactly)
  std::string s;               // string
  ValueType elem = ValueType::u8;  // array element type
  std::vector<Value> items;    // array elements

  static Value of_u32(std::uint32_t v) { Value x; x.type = ValueType::u32; x.u = v; return x; }
  static Value of_u64(std::uint64_t v) { Value x; x.type = ValueType::u64; x.u = v; return x; }
  static Value of_i32(std::int32_t v) { Value x; x.type = ValueType::i32; x.i = v; return x; }
  static Value of_f32(float v) { Value x; x.type = ValueType::f32; x.f = v; return x; }
  static Value of_bool(bool v) { Value x; x.type = ValueType::boolean; x.u = v; return x; }
  static Value of_string(std::string v) { Value x; x.type = ValueType::string; x.s = std::move(v); return x; }
  static Value of_array(ValueType elem, std::vector<Value> items);  // checks element types

  bool is_unsigned() const;
  bool is_signed() const;
  bool is_float() const { return type == ValueType::f32 || type == ValueType::f64; }
  // Integer value of any integer type (false if not an integer or out of range).
  bool to_int64(std::int64_t* out) const;
};

bool operator==(const Value& a, const Value& b);

}  // namespace pv::engine::gguf
