#pragma once
// Loading the contracts a report is about: every *.yaml / *.yml under a directory (or the
// files given), with the strict loader. A report on contracts that do not load would be
// misleading, so any loader error is returned and `pv report` refuses to go on.
#include <string>
#include <vector>

#include "harness/contract/model.hpp"

namespace pv::report {

struct LoadedContracts {
  std::vector<contract::Contract> contracts;  // sorted by file path
  std::vector<std::string> errors;            // "file:line:col: message (rule)"
};

LoadedContracts load_contracts(const std::string& dir_or_file);

}  // namespace pv::report
