#pragma once
// The model `pv run` hands to falsifiers: a real Qwen3-MoE GGUF (--model) or, by default, a
// tiny synthetic one written into a temporary work directory (which also holds each
// falsifier's output log) and removed afterwards.
#include <cstdint>
#include <string>

namespace pv::run {

struct ModelSource {
  std::string path;         // GGUF file the falsifiers load
  std::string description;  // for evidence: "synthetic:tiny@seed=N" or the path given
  std::string work_dir;     // temporary directory owned by this run
  bool synthetic = true;
};

// Throws std::runtime_error naming the file when --model is unreadable or not a GGUF file.
ModelSource prepare_model(const std::string& model_arg, std::uint64_t seed);
void release_model(const ModelSource& m);  // removes work_dir

}  // namespace pv::run
