#include "falsifiers/suite/common/engines.hpp"

#include <fmt/core.h>

#include "engine/gguf/qwen3moe.hpp"

namespace pv::falsify::suite {

std::unique_ptr<engine::MoeEngine> engine_for(Context& ctx) {
  std::string why;
  auto e = engine::make_engine(ctx.backend, &why);
  if (!e) ctx.skip(fmt::format("backend {} unavailable: {}", ctx.backend, why));
  return e;
}

ModelFile::ModelFile(const std::string& path)
    : file(engine::gguf::File::open(path)), model(engine::gguf::qwen3moe_model(file)) {}

std::unique_ptr<ModelFile> load_run_model(const Context& ctx) {
  if (ctx.model_path.empty()) throw FalsifierError(ctx.id + ": no model was given to this falsifier");
  return std::make_unique<ModelFile>(ctx.model_path);
}

engine::ForwardResult forward_layer(engine::MoeEngine& e, int layer, const std::vector<float>& h, int tokens,
                                    engine::ActivationMode mode) {
  engine::ForwardOptions opt;
  opt.mode = mode;
  opt.capture_routing = true;
  return e.forward(layer, 1, h.data(), tokens, opt);
}

std::string describe_config(const engine::MoeConfig& c, int tokens) {
  return fmt::format("hidden={} E={} k={} ffn={} T={}", c.hidden, c.n_experts, c.top_k, c.expert_ffn, tokens);
}

}  // namespace pv::falsify::suite
