#include "harness/contract/schema.hpp"

#include <stdexcept>

namespace pv::contract::schema {

const std::vector<Section>& sections() {
  static const std::vector<Section> all = {
      {"contract",
       {"metadata", "name", "kind", "status", "scope", "description", "equations", "proof_obligations",
        "implementation_stages", "falsification_tests", "qa_gate", "kani_harnesses"},
       {"metadata", "name", "kind", "status", "description", "proof_obligations", "falsification_tests"}},
      {"metadata",
       {"version", "created", "author", "description", "references", "depends_on", "amendment_history"},
       {"version", "created", "author", "description"}},
      {"amendment_history[]", {"version", "date", "kind", "title", "description"},
       {"version", "date", "kind", "title", "description"}},
      {"equations.*",
       {"formula", "description", "domain", "codomain", "invariants", "preconditions", "postconditions"},
       {"formula"}},
      {"proof_obligations[]", {"id", "type", "property", "formal", "tolerance"}, {"id", "type", "property"}},
      {"implementation_stages[]",
       {"id", "status", "description", "expected_acceptance", "backends", "evidence", "blockers"},
       {"id", "status", "description", "expected_acceptance", "backends"}},
      {"falsification_tests[]",
       {"id", "rule", "prediction", "test", "if_fails", "discharges", "kind", "backends", "thresholds",
        "parameters", "reason"},
       {"id", "rule", "prediction", "test", "if_fails", "discharges", "kind", "backends"}},
      {"thresholds[]", {"metric", "op", "value", "unit", "derivation"}, {"metric", "op", "value"}},
      {"qa_gate", {"id", "name", "description", "checks", "pass_criteria"}, {"id", "name", "checks", "pass_criteria"}},
      {"kani_harnesses[]", {"id", "obligation", "property", "bound", "strategy", "solver", "harness"},
       {"id", "obligation", "property", "bound", "strategy", "harness"}},
  };
  return all;
}

const Section& section(std::string_view name) {
  for (const auto& s : sections())
    if (s.name == name) return s;
  throw std::logic_error("unknown schema section");
}

const std::vector<std::string_view>& contract_kinds() {
  static const std::vector<std::string_view> v = {"kernel", "model", "format", "io"};
  return v;
}
const std::vector<std::string_view>& contract_statuses() {
  static const std::vector<std::string_view> v = {"draft", "active", "deprecated"};
  return v;
}
const std::vector<std::string_view>& obligation_types() {
  static const std::vector<std::string_view> v = {
      "invariant",    "equivalence",  "bound",     "determinism", "error_handling", "performance",
      "monotonicity", "conservation", "ordering",  "idempotency", "linearity",      "symmetry",
      "associativity", "completeness", "soundness", "liveness"};
  return v;
}
const std::vector<std::string_view>& amendment_kinds() {
  static const std::vector<std::string_view> v = {"created", "amendment", "correction", "deprecation"};
  return v;
}
const std::vector<std::string_view>& stage_statuses() {
  static const std::vector<std::string_view> v = {"PENDING", "PARTIAL", "SHIPPED"};
  return v;
}
const std::vector<std::string_view>& backends() {
  static const std::vector<std::string_view> v = {"cpu", "cuda"};
  return v;
}
const std::vector<std::string_view>& falsifier_kinds() {
  static const std::vector<std::string_view> v = {"property", "golden", "parity", "performance", "external"};
  return v;
}
const std::vector<std::string_view>& threshold_ops() {
  static const std::vector<std::string_view> v = {">=", "<=", ">", "<", "=="};
  return v;
}

}  // namespace pv::contract::schema
