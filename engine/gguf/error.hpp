#pragma once
// Every way a GGUF file can be rejected, each with its own code. The message names the
// problem and where: the byte offset, the metadata key or the tensor name.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace pv::engine::gguf {

enum class Errc {
  io_error,             // cannot open / map the file
  bad_magic,            // first 4 bytes are not "GGUF"
  unsupported_version,  // not 2 or 3
  truncated,            // a field runs past the end of the file
  count_too_large,      // tensor / key / array count larger than the bytes left could hold
  string_too_long,      // string length larger than the bytes left
  bad_value_type,       // unknown metadata value type, or nesting deeper than kMaxNesting
  duplicate_key,
  bad_alignment,        // general.alignment not a power of two, or not an unsigned integer
  too_many_dims,        // n_dims of a tensor outside [1, 4]
  bad_dimension,        // a zero dimension, or an element count that overflows
  unknown_type,         // ggml type id this engine does not know
  bad_element_count,    // row length (ne0) not a multiple of the type's block size
  duplicate_tensor,
  misaligned_tensor,    // tensor offset not a multiple of the alignment
  offset_out_of_range,  // tensor data outside the data section
  overlapping_tensors,
  // Model views (qwen3moe.hpp):
  missing_key,
  wrong_key_type,
  missing_tensor,
  tensor_shape,
  tensor_type,
};

const char* to_string(Errc e);

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Errc code() const { return code_; }

 private:
  Errc code_;
};

// Throws Error(code, "<source>: <msg> (at byte <offset>)"); source is the file name.
[[noreturn]] void fail_at(Errc code, const std::string& source, std::uint64_t offset, const std::string& msg);
[[noreturn]] void fail(Errc code, const std::string& source, const std::string& msg);

}  // namespace pv::engine::gguf
