#pragma once
// What `pv run` prints: a progress line per finished task and a summary table.
//
// Exit policy: the run fails (exit 1) when any result is FAIL, ERROR, CRASH or TIMEOUT.
// SKIP never counts as PASS: it is counted and listed separately with its reason, and
// `--fail-on-skip` makes any SKIP fail the run too (use it where every backend must exist,
// e.g. on the GPU machine).
#include <cstdio>
#include <string>
#include <vector>

#include "harness/evidence/evidence.hpp"

namespace pv::run {

struct Counts {
  int pass = 0, fail = 0, skip = 0, error = 0, crash = 0, timeout = 0;
  int total() const { return pass + fail + skip + error + crash + timeout; }
};

Counts count(const std::vector<evidence::FalsifierResult>& results);
bool run_failed(const Counts& c, bool fail_on_skip);
std::string progress_line(const evidence::FalsifierResult& r, std::size_t done, std::size_t total);
std::string summary_table(const std::vector<evidence::FalsifierResult>& results);
std::string counts_line(const Counts& c);

}  // namespace pv::run
