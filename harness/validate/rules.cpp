#include "harness/validate/rules.hpp"

namespace pv::validate {

using contract::Severity;

const std::vector<Rule>& rules() {
  static const std::vector<Rule> all = {
      // The file itself.
      {"io-error", Severity::error, "the file or directory cannot be read"},
      {"file-empty", Severity::error, "the file holds no YAML content"},
      {"file-too-large", Severity::error, "the file is larger than 1 MiB"},
      {"file-binary", Severity::error, "the file holds NUL or other control bytes: not text"},
      {"file-not-utf8", Severity::error, "the file is not valid UTF-8"},
      {"yaml-syntax", Severity::error, "the YAML does not parse"},
      {"yaml-too-deep", Severity::error, "nesting deeper than 64 levels"},
      {"yaml-alias", Severity::error, "an alias bomb (aliases expanding past 200,000 nodes) or a recursive alias"},
      {"multiple-documents", Severity::error, "more than one YAML document in one file"},
      // Structure and values of one contract.
      {"wrong-type", Severity::error, "a value has the wrong type (text, number, list, mapping)"},
      {"duplicate-key", Severity::error, "a key appears twice in one mapping"},
      {"unknown-key", Severity::error, "a key the schema does not define (with a did-you-mean)"},
      {"missing-key", Severity::error, "a required key is missing"},
      {"empty-value", Severity::error, "a required value is empty"},
      {"bad-enum", Severity::error, "a value outside its allowed set"},
      {"foreign-status", Severity::error, "a stage status word from another tool, with the word it maps to"},
      {"bad-id", Severity::error, "a malformed ID or name (FALSIFY-..., AC_..., M-..., QA-..., KANI-..., kebab/snake case)"},
      {"bad-semver", Severity::error, "a version that is not semantic versioning"},
      {"bad-date", Severity::error, "a date that is not a real YYYY-MM-DD date"},
      {"external-needs-reason", Severity::error, "an external falsifier without a reason"},
      {"missing-derivation", Severity::warning, "a threshold without a derivation of its value"},
      {"name-file-mismatch", Severity::warning, "the contract name differs from the file name"},
      // Across every file given.
      {"duplicate-id", Severity::error, "an ID or contract name declared more than once across the files"},
      {"unresolved-dependency", Severity::error, "depends_on names a contract that is not among the files"},
      {"dependency-cycle", Severity::error, "contracts depend on each other in a cycle"},
      {"unknown-obligation", Severity::error, "a stage, falsifier or Kani harness names an obligation its contract lacks"},
      {"undischarged-obligation", Severity::warning, "no falsifier discharges an obligation"},
      {"stage-backend-uncovered", Severity::warning, "a stage needs a backend on which no falsifier checks one of its obligations"},
      {"qa-gate-count", Severity::warning, "the qa_gate pass criteria count differs from the number of falsifiers"},
      {"unimplemented-falsifier", Severity::error, "a declared falsifier has no registered C++ implementation"},
      {"orphan-implementation", Severity::error, "a registered falsifier implementation whose ID no contract declares"},
  };
  return all;
}

const Rule* find_rule(std::string_view id) {
  for (const auto& r : rules())
    if (r.id == id) return &r;
  return nullptr;
}

}  // namespace pv::validate
