#pragma once
// The strict contract loader: YAML text -> Contract, plus a finding for everything wrong with
// the file on its own (syntax, limits, encoding, unknown/duplicate/missing keys, types, enums,
// ID, version and date formats). Checks across files live in harness/validate/.
#include <optional>
#include <string>
#include <vector>

#include "harness/contract/finding.hpp"
#include "harness/contract/model.hpp"
#include "harness/contract/yaml_tree.hpp"

namespace pv::contract {

struct LoadResult {
  // Present whenever the file parsed to a mapping, even with findings: fields that failed to
  // read keep their defaults, so cross-file checks still see the rest.
  std::optional<Contract> contract;
  std::vector<Finding> findings;
  bool ok() const;  // a contract and no error-severity finding
};

// Never throws for bad content. `file` is the path shown in findings.
LoadResult load_contract_text(const std::string& text, const std::string& file,
                              const yaml::Limits& limits = {});

// Reads the file (at most limits.max_bytes + 1 bytes) and loads it. An unreadable file gives a
// finding with rule `io-error`.
LoadResult load_contract_file(const std::string& path, const yaml::Limits& limits = {});

}  // namespace pv::contract
