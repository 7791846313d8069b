#pragma once
// Runs tasks, each in its own child process with a time limit, up to `jobs` at a time.
// Performance tasks run afterwards, one at a time. Results come back in task order.
#include <functional>
#include <vector>

#include "harness/run/task.hpp"

namespace pv::run {

// Called in the parent as each task finishes (for progress output).
using OnResult = std::function<void(const evidence::FalsifierResult& r, std::size_t done, std::size_t total)>;

std::vector<evidence::FalsifierResult> run_tasks(const std::vector<Task>& tasks, const RunOptions& opt,
                                                 const OnResult& on_result = {});

}  // namespace pv::run
