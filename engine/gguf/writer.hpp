#pragma once
// GGUF v3 writer. Metadata keys keep their insertion order; tensors are laid out in the order
// added, each at the next multiple of the alignment. Tensor bytes are either given up front or
// produced on demand by a fill callback while writing, so multi-GB files are streamed.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/gguf/value.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::gguf {

struct TensorSpec {
  std::string name;
  std::vector<std::uint64_t> dims;  // fastest-first, as in the file
  quant::Type type = quant::Type::F32;
  std::uint64_t n_bytes() const;    // throws std::invalid_argument if dims[0] is not whole blocks
};

// Writes the bytes of tensor `index` into out[0, bytes).
using TensorFill = std::function<void(std::size_t index, const TensorSpec& spec, std::uint8_t* out, std::size_t bytes)>;

class Writer {
 public:
  // alignment != 32 is recorded as general.alignment (u32).
  explicit Writer(std::uint32_t alignment = 32);
  void set(const std::string& key, Value v);  // throws std::invalid_argument on a duplicate key
  void add_tensor(TensorSpec spec);           // bytes come from the TensorFill given to write
  void add_tensor(TensorSpec spec, std::vector<std::uint8_t> bytes);

  std::vector<std::uint8_t> to_bytes(const TensorFill& fill = {}) const;
  // Writes to path + ".tmp" then renames, so a reader never sees half a file.
  void write(const std::string& path, const TensorFill& fill = {}) const;

  const std::vector<TensorSpec>& tensors() const { return specs_; }

 private:
  template <class Sink>
  void emit(Sink& sink, const TensorFill& fill) const;

  std::uint32_t alignment_;
  std::vector<std::pair<std::string, Value>> kv_;
  std::vector<TensorSpec> specs_;
  std::vector<std::vector<std::uint8_t>> bytes_;  // empty: filled by the callback
};

}  // namespace pv::engine::gguf
