#pragma once
// Running one falsifier in a child process, so that a crash (a signal) becomes CRASH and a
// hang becomes TIMEOUT without stopping the run. The child writes its result as JSON into a
// pipe and exits; the parent never runs falsifier code itself (and never initialises CUDA,
// which does not survive fork()).
#include <string>
#include <sys/types.h>

#include "harness/run/task.hpp"

namespace pv::run {

struct Child {
  pid_t pid = -1;
  int fd = -1;             // read end of the result pipe
  std::string buffer;      // result bytes read so far
  std::string log_path;
  double started = 0;      // monotonic seconds
};

// Forks; the child runs task.info->run and never returns. Throws on fork/pipe failure.
Child spawn(const Task& task, const std::string& log_path);

// What the child sent, decoded into a result (verdict PASS/FAIL/SKIP/ERROR).
evidence::FalsifierResult decode_child(const Task& task, const std::string& text);

// The result for a child that ended without a complete report: signal -> CRASH, or a
// non-zero exit / garbled report -> CRASH with the exit status; `log_tail` is appended.
evidence::FalsifierResult crashed(const Task& task, int wait_status, const std::string& log_tail);
evidence::FalsifierResult timed_out(const Task& task, double limit_s, const std::string& log_tail);
evidence::FalsifierResult preset_result(const Task& task);

// The child's side, exposed for tests: runs the falsifier in-process and encodes the result.
std::string run_in_process(Task task);

std::string tail_of_file(const std::string& path, std::size_t max_bytes = 2000);
double monotonic_seconds();

}  // namespace pv::run
