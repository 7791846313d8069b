// make_engine("cpu" | "cuda"). A backend that is not compiled in or has no device returns
// nullptr with the reason; nothing ever falls back to another backend.
#include <memory>
#include <string>
#include <vector>

#include "engine/cpu/cpu_engine.hpp"
#include "engine/moe/engine.hpp"
#ifdef PV_HAVE_CUDA
#include "engine/cuda/cuda_engine.hpp"
#endif

namespace pv::engine {

std::vector<std::string> known_backends() { return {"cpu", "cuda"}; }

std::unique_ptr<MoeEngine> make_engine(const std::string& backend, std::string* why) {
  auto set_why = [&](const std::string& w) {
    if (why) *why = w;
  };
  if (backend == "cpu") return cpu::make_cpu_engine();
  if (backend == "cuda") {
#ifdef PV_HAVE_CUDA
    return make_cuda_engine(why);
#else
    set_why("the cuda backend is not compiled into this build (no CUDA compiler found, or "
            "-DPV_WITH_CUDA=OFF); rebuild on a machine with CUDA to use it");
    return nullptr;
#endif
  }
  set_why("unknown backend '" + backend + "' (known: cpu, cuda)");
  return nullptr;
}

}  // namespace pv::engine
