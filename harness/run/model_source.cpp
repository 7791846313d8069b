#include "harness/run/model_source.hpp"

#include <fmt/core.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "engine/gguf/qwen3moe.hpp"
#include "engine/gguf/reader.hpp"
#include "engine/synth/synth.hpp"

namespace pv::run {

namespace fs = std::filesystem;

namespace {
std::string make_work_dir() {
  std::string tmpl = (fs::temp_directory_path() / "pv-run-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory in " + fs::temp_directory_path().string());
  return tmpl;
}
}  // namespace

ModelSource prepare_model(const std::string& model_arg, std::uint64_t seed) {
  ModelSource m;
  m.work_dir = make_work_dir();
  try {
    if (model_arg.empty()) {
      // The tiny preset (hidden 256, 8 experts, k 2, 2 layers) with the Q4_K_M type mix,
      // seeded by the run seed so `--seed N` reproduces the model as well as the inputs.
      engine::synth::Options o;
      o.preset = "tiny";
      o.seed = seed;
      m.path = m.work_dir + "/synthetic-tiny.gguf";
      engine::synth::write_model(o, m.path);
      m.description = fmt::format("synthetic:tiny@seed={}", seed);
      m.synthetic = true;
    } else {
      if (!fs::is_regular_file(model_arg)) throw std::runtime_error("--model " + model_arg + ": no such file");
      auto f = engine::gguf::File::open(model_arg);  // throws naming the file and byte offset
      (void)engine::gguf::qwen3moe_config(f);        // throws naming the missing key
      m.path = fs::absolute(model_arg).string();
      m.description = model_arg;
      m.synthetic = false;
    }
  } catch (...) {
    release_model(m);
    throw;
  }
  return m;
}

void release_model(const ModelSource& m) {
  std::error_code ec;
  if (!m.work_dir.empty()) fs::remove_all(m.work_dir, ec);
}

}  // namespace pv::run
