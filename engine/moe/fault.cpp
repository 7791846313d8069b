// Fault switches: PV_FAULT=<name> selects one planted bug in a -DPV_FAULT_INJECTION=ON build.
#include "engine/moe/fault.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

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
Fault parse_env() {
#ifdef PV_FAULT_INJECTION
  const char* v = std::getenv("PV_FAULT");
  if (v == nullptr || *v == '\0') return Fault::none;
  const std::string s(v);
  if (s == "none") return Fault::none;
  for (Fault f : all_faults())
    if (s == to_string(f)) return f;
  // An unknown name must not silently run the unfaulted engine (the falsifier would "pass").
  std::fprintf(stderr, "pv: PV_FAULT=%s is not a known fault; known: ", v);
  for (Fault f : all_faults()) std::fprintf(stderr, "%s ", to_string(f));
  std::fprintf(stderr, "\n");
  std::abort();
#else
  return Fault::none;
#endif
}
}  // namespace

Fault active_fault() {
  static const Fault f = parse_env();  // read once: the environment is fixed for a run
  return f;
}

}  // namespace pv::engine
