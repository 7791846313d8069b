#pragma once
// Engines and models as the suite's falsifiers use them.
#include <memory>
#include <string>
#include <vector>

#include "engine/gguf/reader.hpp"
#include "engine/moe/engine.hpp"
#include "falsifiers/framework/falsifier.hpp"

namespace pv::falsify::suite {

// The engine for ctx.backend, or SKIP with make_engine's reason (no fallback, ever).
std::unique_ptr<engine::MoeEngine> engine_for(Context& ctx);

// The model `pv run` chose (synthetic or --model), mapped; the model views point into `file`.
struct ModelFile {
  // Built in place: gguf::File cannot be moved outside the gguf library (its move
  // constructor is defaulted in the header over an incomplete type).
  explicit ModelFile(const std::string& path);
  engine::gguf::File file;
  engine::MoeModel model;
};
std::unique_ptr<ModelFile> load_run_model(const Context& ctx);

// One forward pass over a single layer with routing captured.
engine::ForwardResult forward_layer(engine::MoeEngine& e, int layer, const std::vector<float>& h, int tokens,
                                    engine::ActivationMode mode = engine::ActivationMode::exact);

// "hidden=256 E=8 k=2 T=4 input=large" style description for counterexamples.
std::string describe_config(const engine::MoeConfig& c, int tokens);

}  // namespace pv::falsify::suite
