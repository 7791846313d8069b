#pragma once
// `pv validate` as a library: load every contract under the given paths, check each one
// (harness/contract/loader.hpp) and all of them together (cross_file.hpp).
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/contract/finding.hpp"
#include "harness/contract/model.hpp"
#include "harness/contract/yaml_tree.hpp"

namespace pv::validate {

using contract::Finding;
using contract::Severity;

struct Options {
  // IDs of the falsifiers that have a C++ implementation. When set, a declared falsifier
  // missing from it (and not kind external) is an `unimplemented-falsifier` error.
  std::optional<std::set<std::string>> implemented;
  // Also report implemented IDs that no contract declares (`orphan-implementation`): only
  // meaningful when the paths given hold the complete set of contracts.
  bool check_orphans = false;
  contract::yaml::Limits limits;
};

struct Report {
  std::vector<std::string> files;               // every contract file checked, sorted
  std::vector<contract::Contract> contracts;    // those that parsed to a mapping
  std::vector<Finding> findings;                // sorted by file, line, column, rule
  bool io_failed = false;                       // some path could not be read (exit code 2)
  std::size_t errors() const;
  std::size_t warnings() const;
};

// Files are taken as given; directories are searched recursively for *.yaml and *.yml.
std::vector<std::string> collect_files(const std::vector<std::string>& paths, std::vector<Finding>& io_errors);

Report validate_paths(const std::vector<std::string>& paths, const Options& options);

// The same, for contracts already in memory (tests, fuzzing, the benchmark).
struct Source {
  std::string file, text;
};
Report validate_sources(const std::vector<Source>& sources, const Options& options);

}  // namespace pv::validate
