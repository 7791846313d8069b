// The table of element types this engine knows, keyed by their ggml type ids.
#include "engine/quant/types.hpp"

#include <array>
#include <cctype>
#include <stdexcept>

namespace pv::engine::quant {
namespace {

// Byte counts follow the block layouts in blocks.hpp (checked there by static_assert).
constexpr std::array<TypeInfo, 7> kTypes{{
    {Type::F32, "F32", 1, 4},
    {Type::F16, "F16", 1, 2},
    {Type::Q8_0, "Q8_0", QK8_0, 34},
    {Type::Q4_K, "Q4_K", QK_K, 144},
    {Type::Q6_K, "Q6_K", QK_K, 210},
    {Type::Q8_K, "Q8_K", QK_K, 292},
    {Type::BF16, "BF16", 1, 2},
}};

}  // namespace

std::optional<TypeInfo> type_info(std::uint32_t ggml_type_id) {
  for (const TypeInfo& t : kTypes)
    if (static_cast<std::uint32_t>(t.type) == ggml_type_id) return t;
  return std::nullopt;
}

const TypeInfo& info(Type t) {
  for (const TypeInfo& i : kTypes)
    if (i.type == t) return i;
  throw std::invalid_argument("quant::info: unknown type id " +
                              std::to_string(static_cast<std::uint32_t>(t)));
}

const char* name(Type t) { return info(t).name; }

std::optional<Type> type_from_name(const std::string& n) {
  std::string up;
  for (char c : n) up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  for (const TypeInfo& i : kTypes)
    if (up == i.name) return i.type;
  return std::nullopt;
}

}  // namespace pv::engine::quant
