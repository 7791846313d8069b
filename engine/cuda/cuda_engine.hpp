#pragma once
// The CUDA MoE engine (pv::engine::MoeEngine on an NVIDIA GPU, sm_90a build).
// make_cuda_engine returns nullptr and says why when no usable device is present; nothing
// falls back to the CPU.
#include <memory>
#include <string>

#include "engine/moe/engine.hpp"

namespace pv::engine {

std::unique_ptr<pv::engine::MoeEngine> make_cuda_engine(std::string* why);

}  // namespace pv::engine
