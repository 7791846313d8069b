#include "engine/gguf/error.hpp"

namespace pv::engine::gguf {

const char* to_string(Errc e) {
  switch (e) {
    case Errc::io_error: return "io_error";
    case Errc::bad_magic: return "bad_magic";
    case Errc::unsupported_version: return "unsupported_version";
    case Errc::truncated: return "truncated";
    case Errc::count_too_large: return "count_too_large";
    case Errc::string_too_long: return "string_too_long";
    case Errc::bad_value_type: return "bad_value_type";
    case Errc::duplicate_key: return "duplicate_key";
    case Errc::bad_alignment: return "bad_alignment";
    case Errc::too_many_dims: return "too_many_dims";
    case Errc::bad_dimension: return "bad_dimension";
    case Errc::unknown_type: return "unknown_type";
    case Errc::bad_element_count: return "bad_element_count";
    case Errc::duplicate_tensor: return "duplicate_tensor";
    case Errc::misaligned_tensor: return "misaligned_tensor";
    case Errc::offset_out_of_range: return "offset_out_of_range";
    case Errc::overlapping_tensors: return "overlapping_tensors";
    case Errc::missing_key: return "missing_key";
    case Errc::wrong_key_type: return "wrong_key_type";
    case Errc::missing_tensor: return "missing_tensor";
    case Errc::tensor_shape: return "tensor_shape";
    case Errc::tensor_type: return "tensor_type";
  }
  return "unknown";
}

void fail_at(Errc code, const std::string& source, std::uint64_t offset, const std::string& msg) {
  throw Error(code, source + ": " + msg + " (at byte " + std::to_string(offset) + ")");
}

void fail(Errc code, const std::string& source, const std::string& msg) {
  throw Error(code, source + ": " + msg);
}

}  // namespace pv::engine::gguf
