#pragma once
// Turns run results into an evidence file: machine, git commit, contract hashes, and for each
// result the SHA-256 of the engine source groups its falsifier exercises, so `pv report` can
// tell evidence about today's code from evidence about yesterday's.
#include <string>
#include <vector>

#include "harness/contract/model.hpp"
#include "harness/evidence/evidence.hpp"
#include "harness/run/task.hpp"

namespace pv::run {

struct RunInfo {
  std::string tool_version, started, finished, model, source_dir;
  std::uint64_t seed = 0;
};

evidence::EvidenceFile collect_evidence(const std::vector<Task>& tasks,
                                        std::vector<evidence::FalsifierResult> results,
                                        const std::vector<contract::Contract>& contracts, const RunInfo& info);

evidence::Machine this_machine();
std::string git_commit(const std::string& source_dir);  // "unknown" outside a checkout
std::string utc_now_iso8601();

}  // namespace pv::run
