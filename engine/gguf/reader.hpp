#pragma once
// Memory-mapped GGUF v2/v3 reader. Parsing validates the whole header up front (see error.hpp
// for every rejection); afterwards tensor data is accessed in place, without copies.
// Layout: magic "GGUF", u32 version, u64 tensor_count, u64 kv_count, kv pairs, tensor infos,
// padding to general.alignment (default 32), tensor data. Little-endian only.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/gguf/error.hpp"
#include "engine/gguf/value.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::gguf {

inline constexpr std::uint64_t kDefaultAlignment = 32;
inline constexpr int kMaxDims = 4;       // GGML_MAX_DIMS
inline constexpr int kMaxNesting = 8;    // arrays of arrays deeper than this are rejected

struct TensorInfo {
  std::string name;
  std::vector<std::uint64_t> dims;  // GGUF order: fastest-varying first (dims[0] = columns)
  quant::Type type = quant::Type::F32;
  std::uint64_t offset = 0;         // from the start of the data section
  std::uint64_t n_elements = 0;
  std::uint64_t n_bytes = 0;
  std::uint64_t info_offset = 0;    // file offset of this tensor info (for messages)
};

class File {
 public:
  // Maps `path` read-only; throws Error (io_error or a format error naming the file).
  static File open(const std::string& path);
  // Parses bytes held in memory (tests, fuzzing); `source` names it in messages.
  static File from_bytes(std::vector<std::uint8_t> bytes, std::string source = "<memory>");

  const std::string& source() const { return source_; }
  std::uint32_t version() const { return version_; }
  std::uint64_t alignment() const { return alignment_; }
  std::uint64_t data_offset() const { return data_offset_; }
  std::uint64_t size() const { return size_; }

  const std::vector<std::pair<std::string, Value>>& metadata() const { return kv_; }  // file order
  const Value* find(const std::string& key) const;
  const std::vector<TensorInfo>& tensors() const { return tensors_; }                // file order
  const TensorInfo* find_tensor(const std::string& name) const;
  // Zero-copy view of a tensor's bytes (valid while this File lives).
  const std::uint8_t* data(const TensorInfo& t) const { return base_ + data_offset_ + t.offset; }

  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  ~File();

 private:
  File() = default;
  void parse();

  struct Storage;
  std::unique_ptr<Storage> storage_;  // the mapping or the owned bytes
  const std::uint8_t* base_ = nullptr;
  std::uint64_t size_ = 0;
  std::string source_;
  std::uint32_t version_ = 0;
  std::uint64_t alignment_ = kDefaultAlignment;
  std::uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, Value>> kv_;
  std::vector<TensorInfo> tensors_;
};

}  // namespace pv::engine::gguf
