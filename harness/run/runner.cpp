#include "harness/run/runner.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "harness/run/isolate.hpp"

namespace pv::run {
namespace {

struct Running {
  std::size_t index;
  Child child;
};

std::string log_path_for(const RunOptions& opt, const Task& t) {
  return opt.log_dir + "/" + t.id + "." + t.backend + ".log";
}

// Reads what is available; returns true at end of file.
bool drain(Child& c) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n > 0) {
      c.buffer.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return true;
    if (errno == EINTR) continue;
    return false;  // EAGAIN: nothing more for now
  }
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

evidence::FalsifierResult finish(const Task& t, Running& r) {
  ::close(r.child.fd);
  int status = wait_for(r.child.pid);
  ::kill(-r.child.pid, SIGKILL);  // anything the falsifier left behind in its group
  const bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (clean_exit && !r.child.buffer.empty()) {
    try {
      return decode_child(t, r.child.buffer);
    } catch (const std::exception& e) {
      auto res = crashed(t, status, tail_of_file(r.child.log_path));
      res.message = std::string("garbled result from the child (") + e.what() + "); " + res.message;
      return res;
    }
  }
  return crashed(t, status, tail_of_file(r.child.log_path));
}

evidence::FalsifierResult kill_timed_out(const Task& t, Running& r, double limit) {
  ::kill(-r.child.pid, SIGKILL);
  ::kill(r.child.pid, SIGKILL);
  ::close(r.child.fd);
  wait_for(r.child.pid);
  return timed_out(t, limit, tail_of_file(r.child.log_path));
}

// Runs the given task indices with at most `jobs` children at once.
void run_batch(const std::vector<Task>& tasks, const std::vector<std::size_t>& order, int jobs,
               const RunOptions& opt, std::vector<evidence::FalsifierResult>& out, std::size_t& done,
               const OnResult& on_result) {
  std::size_t next = 0;
  std::vector<Running> running;
  auto complete = [&](std::size_t index, evidence::FalsifierResult res, double started) {
    res.seconds = monotonic_seconds() - started;
    out[index] = std::move(res);
    ++done;
    if (on_result) on_result(out[index], done, tasks.size());
  };
  while (next < order.size() || !running.empty()) {
    while (next < order.size() && static_cast<int>(running.size()) < std::max(1, jobs)) {
      std::size_t i = order[next++];
      const Task& t = tasks[i];
      if (t.preset) {
        complete(i, preset_result(t), monotonic_seconds());
        continue;
      }
      running.push_back({i, spawn(t, log_path_for(opt, t))});
    }
    if (running.empty()) continue;
    std::vector<pollfd> fds;
    double now = monotonic_seconds(), nearest = opt.timeout_s;
    for (const auto& r : running) {
      fds.push_back({r.child.fd, POLLIN, 0});
      nearest = std::min(nearest, r.child.started + opt.timeout_s - now);
    }
    int wait_ms = static_cast<int>(std::clamp(std::ceil(nearest * 1000), 0.0, 1000.0));
    if (::poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR)
      throw std::runtime_error("poll failed while waiting for falsifiers");
    now = monotonic_seconds();
    for (std::size_t j = running.size(); j-- > 0;) {
      Running& r = running[j];
      const Task& t = tasks[r.index];
      bool ended = (fds[j].revents & (POLLIN | POLLHUP | POLLERR)) && drain(r.child);
      if (ended) {
        complete(r.index, finish(t, r), r.child.started);
      } else if (now - r.child.started >= opt.timeout_s) {
        complete(r.index, kill_timed_out(t, r, opt.timeout_s), r.child.started);
      } else {
        continue;
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(j));
    }
  }
}

}  // namespace

std::vector<evidence::FalsifierResult> run_tasks(const std::vector<Task>& tasks, const RunOptions& opt,
                                                 const OnResult& on_result) {
  std::vector<evidence::FalsifierResult> out(tasks.size());
  std::vector<std::size_t> shared, exclusive;
  for (std::size_t i = 0; i < tasks.size(); ++i) (tasks[i].exclusive() ? exclusive : shared).push_back(i);
  std::size_t done = 0;
  run_batch(tasks, shared, opt.jobs, opt, out, done, on_result);
  run_batch(tasks, exclusive, 1, opt, out, done, on_result);
  return out;
}

}  // namespace pv::run
