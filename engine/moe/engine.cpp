// Names of the activation modes, as recorded in results, evidence and on the command line.
#include "engine/moe/engine.hpp"

#include <stdexcept>

namespace pv::engine {

const char* to_string(ActivationMode m) {
  switch (m) {
    case ActivationMode::exact: return "exact";
    case ActivationMode::q8: return "q8";
  }
  return "unknown";
}

ActivationMode activation_mode_from_string(const std::string& s) {
  if (s == "exact") return ActivationMode::exact;
  if (s == "q8") return ActivationMode::q8;
  throw std::invalid_argument("unknown activation mode '" + s + "' (expected exact or q8)");
}

}  // namespace pv::engine
