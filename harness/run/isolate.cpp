#include "harness/run/isolate.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace pv::run {

using nlohmann::json;
using evidence::Verdict;

double monotonic_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string tail_of_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  return s;
}

namespace {

evidence::FalsifierResult base_result(const Task& t) {
  evidence::FalsifierResult r;
  r.id = t.id;
  r.contract = t.contract;
  r.backend = t.backend;
  r.seed = t.ctx.seed;
  r.reproduce = t.ctx.reproduce;
  return r;
}

json encode(const falsify::Context& ctx, const char* outcome, const std::string& message) {
  json ms = json::array();
  for (const auto& m : ctx.measurements) {
    ms.push_back({{"metric", m.metric}, {"value", std::isfinite(m.value) ? json(m.value) : json(nullptr)},
                  {"raw", fmt::format("{}", m.value)}, {"op", m.limit.op}, {"threshold", m.limit.value},
                  {"unit", m.limit.unit}, {"gated", m.gated}, {"passed", m.passed}});
  }
  return {{"outcome", outcome}, {"message", message}, {"counterexample", ctx.counterexample},
          {"measurements", ms}};
}

void write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // parent gone; nothing left to tell
    off += static_cast<std::size_t>(n);
  }
}

double decode_value(const json& m) {
  if (!m.at("value").is_null()) return m.at("value").get<double>();
  const std::string raw = m.value("raw", "nan");
  if (raw == "inf") return std::numeric_limits<double>::infinity();
  if (raw == "-inf") return -std::numeric_limits<double>::infinity();
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

std::string run_in_process(Task task) {
  falsify::Context& ctx = task.ctx;
  try {
    if (task.info == nullptr || task.info->run == nullptr)
      throw falsify::FalsifierError(task.id + " has no implementation registered");
    task.info->run(ctx);
    return encode(ctx, falsify::to_string(ctx.outcome()), ctx.summary()).dump();
  } catch (const falsify::Skip& s) {
    return encode(ctx, "SKIP", s.what()).dump();
  } catch (const std::exception& e) {
    return encode(ctx, "ERROR", e.what()).dump();
  } catch (...) {
    return encode(ctx, "ERROR", "unknown exception").dump();
  }
}

Child spawn(const Task& task, const std::string& log_path) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(fds[0]);
    ::setpgid(0, 0);  // its own process group, so a timeout kill reaches its helpers too
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) {
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
      ::close(log);
    }
    std::string text = run_in_process(task);
    write_all(fds[1], text);
    ::close(fds[1]);
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(0);  // skip static destructors shared with the parent's image
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  Child c;
  c.pid = pid;
  c.fd = fds[0];
  c.log_path = log_path;
  c.started = monotonic_seconds();
  return c;
}

evidence::FalsifierResult decode_child(const Task& task, const std::string& text) {
  evidence::FalsifierResult r = base_result(task);
  json j = json::parse(text);  // throws on a garbled report; the caller turns that into CRASH
  r.verdict = evidence::verdict_from_string(j.at("outcome").get<std::string>());
  r.message = j.at("message").get<std::string>();
  r.counterexample = j.at("counterexample").get<std::string>();
  for (const auto& m : j.at("measurements")) {
    evidence::Measurement em;
    em.metric = m.at("metric").get<std::string>();
    em.value = decode_value(m);
    em.op = m.at("op").get<std::string>();
    em.threshold = m.at("threshold").get<double>();
    em.unit = m.at("unit").get<std::string>();
    em.passed = m.at("passed").get<bool>();
    r.measurements.push_back(em);
  }
  return r;
}

evidence::FalsifierResult crashed(const Task& task, int status, const std::string& log_tail) {
  evidence::FalsifierResult r = base_result(task);
  r.verdict = Verdict::CRASH;
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    r.message = fmt::format("killed by signal {} ({})", sig, ::strsignal(sig));
  } else if (WIFEXITED(status)) {
    r.message = fmt::format("exited with status {} before reporting a result", WEXITSTATUS(status));
  } else {
    r.message = "ended without reporting a result";
  }
  if (!log_tail.empty()) r.message += "; output tail:\n" + log_tail;
  return r;
}

evidence::FalsifierResult timed_out(const Task& task, double limit_s, const std::string& log_tail) {
  evidence::FalsifierResult r = base_result(task);
  r.verdict = Verdict::TIMEOUT;
  r.message = fmt::format("no result within {:g} s (killed); raise --timeout if it is only slow", limit_s);
  if (!log_tail.empty()) r.message += "; output tail:\n" + log_tail;
  return r;
}

evidence::FalsifierResult preset_result(const Task& task) {
  evidence::FalsifierResult r = base_result(task);
  r.verdict = task.preset_verdict;
  r.message = task.preset_message;
  return r;
}

}  // namespace pv::run
