#pragma once
// Everything `pv report` and `pv status` share: load the contracts, read the evidence, derive.
#include <memory>
#include <string>
#include <vector>

#include "harness/report/contracts.hpp"
#include "harness/report/report.hpp"

namespace pv::report {

struct SessionOptions {
  std::vector<std::string> evidence;  // empty: every reports/evidence/*.json under repo_root
  std::string contracts = "contracts";
  std::string repo_root = ".";
};

struct Session {
  LoadedContracts contracts;  // the report points into these: keep the Session alive
  Report report;
  std::vector<std::string> evidence_paths;  // the files actually read
};

// Returns null and fills `errors` when the contracts do not load.
std::unique_ptr<Session> open_session(const SessionOptions& o, std::vector<std::string>& errors);

// reports/evidence/*.json under the root, sorted by name.
std::vector<std::string> default_evidence(const std::string& repo_root);

}  // namespace pv::report
