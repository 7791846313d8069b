#pragma once
// What a falsifier is. The harness fills a Context from the contract (thresholds, parameters)
// and the command line (backend, seed, model); the falsifier measures and records.
// Falsifiers know nothing of YAML or argv.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "falsifiers/framework/registry.hpp"

namespace pv::falsify {

struct Context;
using RunFn = void (*)(Context& ctx);

struct FalsifierInfo {
  std::string id;                    // exact contract ID, e.g. FALSIFY-MOE-ROUTER-001
  std::string kind;                  // property | golden | parity | performance
  std::vector<std::string> sources;  // engine source groups exercised, e.g. "engine/cpu"
  RunFn run = nullptr;
};

struct Registrar {
  explicit Registrar(const FalsifierInfo& info) { register_falsifier(info); }
};

}  // namespace pv::falsify

#define PV_FALSIFIER_CONCAT2(a, b) a##b
#define PV_FALSIFIER_CONCAT(a, b) PV_FALSIFIER_CONCAT2(a, b)
// PV_FALSIFIER({"FALSIFY-...", "property", {"engine/cpu"}, &run_fn});
#define PV_FALSIFIER(...)                                                          \
  static const ::pv::falsify::Registrar PV_FALSIFIER_CONCAT(pv_falsifier_, __LINE__){ \
      ::pv::falsify::FalsifierInfo __VA_ARGS__}
