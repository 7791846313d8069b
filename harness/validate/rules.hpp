#pragma once
// Every rule `pv validate` reports, with its severity and a one-line summary. SARIF output
// lists them; a test checks each one is documented in contracts/SCHEMA.md and has a case in
// the invalid-contract corpus.
#include <string_view>
#include <vector>

#include "harness/contract/finding.hpp"

namespace pv::validate {

struct Rule {
  std::string_view id;
  contract::Severity severity;
  std::string_view summary;
};

const std::vector<Rule>& rules();
const Rule* find_rule(std::string_view id);

}  // namespace pv::validate
