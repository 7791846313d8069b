#pragma once
// Tensor element types with their GGUF/ggml type ids, block sizes and byte counts.
// Block layouts are in blocks.hpp; facts in ../shared/docs/moe-facts.md.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace pv::engine::quant {

inline constexpr int QK_K = 256;  // values per K-quant super-block
inline constexpr int QK8_0 = 32;  // values per Q8_0 block

// Values are the ggml type ids stored in GGUF tensor infos.
enum class Type : std::uint32_t {
  F32 = 0,
  F16 = 1,
  Q8_0 = 8,
  Q4_K = 12,
  Q6_K = 14,
  Q8_K = 15,
  BF16 = 30,
};

struct TypeInfo {
  Type type;
  const char* name;         // "Q4_K", as llama.cpp prints it
  int block_values;         // values per block (1 for float types)
  std::size_t block_bytes;  // bytes per block
};

// nullopt for a ggml type id this engine does not know (the caller names the tensor).
std::optional<TypeInfo> type_info(std::uint32_t ggml_type_id);
const TypeInfo& info(Type t);
const char* name(Type t);
std::optional<Type> type_from_name(const std::string& name);  // "q4_k" or "Q4_K"

// Bytes of one row of `cols` values; cols must be a multiple of the block size.
inline std::size_t row_bytes(Type t, std::int64_t cols) {
  const TypeInfo& i = info(t);
  return static_cast<std::size_t>(cols / i.block_values) * i.block_bytes;
}

}  // namespace pv::engine::quant
