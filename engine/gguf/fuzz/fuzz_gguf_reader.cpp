// Any byte string: the reader either accepts it or throws gguf::Error; it never crashes, reads
// out of bounds or allocates more than the input justifies. Accepted files go on through the
// Qwen3-MoE view and every tensor's bytes are touched.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "engine/gguf/qwen3moe.hpp"
#include "engine/gguf/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pv::engine::gguf;
  try {
    File f = File::from_bytes(std::vector<std::uint8_t>(data, data + size), "fuzz");
    unsigned sum = 0;
    for (const TensorInfo& t : f.tensors()) {
      const std::uint8_t* p = f.data(t);
      for (std::uint64_t i = 0; i < t.n_bytes; i += 61) sum += p[i];
    }
    try {
      const pv::engine::MoeModel m = qwen3moe_model(f);
      sum += static_cast<unsigned>(m.expert_bytes());
    } catch (const Error&) {
    } catch (const std::invalid_argument&) {
    }
    volatile unsigned sink = sum;
    (void)sink;
  } catch (const Error&) {
  }
  return 0;
}
