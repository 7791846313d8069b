#pragma once
// A task is one falsifier on one backend, ready to run: the Context already holds the
// contract's thresholds and parameters and the run's seed, model and reproduce line.
#include <string>
#include <vector>

#include "falsifiers/framework/falsifier.hpp"
#include "harness/evidence/evidence.hpp"

namespace pv::run {

struct Task {
  std::string id;        // FALSIFY-...
  std::string contract;  // name of the contract that declares it
  std::string backend;   // cpu | cuda
  std::string kind;      // property | golden | parity | performance | external
  const falsify::FalsifierInfo* info = nullptr;  // null: declared but not implemented
  falsify::Context ctx;
  // When set, the task is not run and gets this verdict and message (e.g. an `external`
  // falsifier is SKIP with the contract's reason; a missing implementation is ERROR).
  bool preset = false;
  evidence::Verdict preset_verdict = evidence::Verdict::ERROR;
  std::string preset_message;
  // Performance falsifiers run alone, after the others, so parallel jobs do not distort them.
  bool exclusive() const { return kind == "performance"; }
};

struct RunOptions {
  int jobs = 1;
  double timeout_s = 300;   // per task
  std::string log_dir;      // where each child's stdout/stderr goes (<id>.<backend>.log)
  bool echo_logs = false;   // print each child's log after it finishes
};

}  // namespace pv::run
