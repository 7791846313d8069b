// The fault switch: PV_FAULT=<name> (one of the enum names in fault.hpp) read once per process.
// Without -DPV_FAULT_INJECTION=ON the variable is ignored and active_fault() is always none.
#include "engine/moe/fault.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace pv::engine {

const char* to_string(Fault f) {
  switch (f) {
    case Fault::none: return "none";
    case Fault::drop_renormalisation: return "drop_renormalisation";
    case Fault::softmax_over_topk: return "softmax_over_topk";
    case Fault::expert_off_by_one: return "expert_off_by_one";
    case Fault::q4k_scale_unpack: return "q4k_scale_unpack";
    case Fault::missing_residual: return "missing_residual";
    case Fault::cuda_reduction_race: return "cuda_reduction_race";
  }
  return "unknown";
}

std::vector<Fault> all_faults() {
  return {Fault::drop_renormalisation, Fault::softmax_over_topk, Fault::expert_off_by_one,
          Fault::q4k_scale_unpack,     Fault::missing_residual,  Fault::cuda_reduction_race};
}

namespace {
[[maybe_unused]] Fault parse_fault_env() {
  const char* v = std::getenv("PV_FAULT");
  if (v == nullptr || *v == '\0') return Fault::none;
  const std::string s(v);
  if (s == "none") return Fault::none;
  for (Fault f : all_faults())
    if (s == to_string(f)) return f;
  // A typo must not silently run the clean engine while the caller believes a bug is planted.
  std::string known;
  for (Fault f : all_faults()) known += std::string(" ") + to_string(f);
  throw std::invalid_argument("PV_FAULT='" + s + "' is not a known fault; known:" + known);
}
}  // namespace

Fault active_fault() {
#ifdef PV_FAULT_INJECTION
  static const Fault f = parse_fault_env();  // read once; thread-safe static init
  return f;
#else
  return Fault::none;
#endif
}

}  // namespace pv::engine
