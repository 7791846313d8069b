#include "harness/run/summary.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace pv::run {

using evidence::Verdict;

Counts count(const std::vector<evidence::FalsifierResult>& results) {
  Counts c;
  for (const auto& r : results) {
    switch (r.verdict) {
      case Verdict::PASS: ++c.pass; break;
      case Verdict::FAIL: ++c.fail; break;
      case Verdict::SKIP: ++c.skip; break;
      case Verdict::ERROR: ++c.error; break;
      case Verdict::CRASH: ++c.crash; break;
      case Verdict::TIMEOUT: ++c.timeout; break;
    }
  }
  return c;
}

bool run_failed(const Counts& c, bool fail_on_skip) {
  return c.fail + c.error + c.crash + c.timeout > 0 || (fail_on_skip && c.skip > 0);
}

namespace {
std::string first_line(const std::string& s, std::size_t max) {
  std::string l = s.substr(0, s.find('\n'));
  return l.size() > max ? l.substr(0, max - 3) + "..." : l;
}

// The most telling number of a result: the first violated gate, else the first gate.
std::string key_measurement(const evidence::FalsifierResult& r) {
  const evidence::Measurement* pick = nullptr;
  for (const auto& m : r.measurements) {
    if (m.op.empty()) continue;
    if (!m.passed) { pick = &m; break; }
    if (pick == nullptr) pick = &m;
  }
  if (pick == nullptr) return "";
  return fmt::format("{} = {:.4g} ({} {:.10g})", pick->metric, pick->value, pick->op, pick->threshold);
}
}  // namespace

std::string progress_line(const evidence::FalsifierResult& r, std::size_t done, std::size_t total) {
  std::string detail = r.verdict == Verdict::PASS ? key_measurement(r) : first_line(r.message, 90);
  return fmt::format("[{:>3}/{}] {:<7} {:<36} {:<4} {:>7.2f}s  {}\n", done, total, evidence::to_string(r.verdict),
                     r.id, r.backend, r.seconds, detail);
}

std::string counts_line(const Counts& c) {
  return fmt::format("{} run: {} PASS, {} FAIL, {} ERROR, {} CRASH, {} TIMEOUT, {} SKIP (skips are not passes)",
                     c.total(), c.pass, c.fail, c.error, c.crash, c.timeout, c.skip);
}

std::string summary_table(const std::vector<evidence::FalsifierResult>& results) {
  std::string s = fmt::format("\n{:<7} {:<36} {:<4} {:>8}  {}\n", "verdict", "falsifier", "bk", "seconds", "detail");
  s += std::string(100, '-') + "\n";
  for (const auto& r : results) {
    std::string detail = r.verdict == Verdict::PASS ? key_measurement(r) : first_line(r.message, 120);
    s += fmt::format("{:<7} {:<36} {:<4} {:>8.2f}  {}\n", evidence::to_string(r.verdict), r.id, r.backend, r.seconds, detail);
  }
  bool header = false;
  for (const auto& r : results) {
    if (r.verdict == Verdict::PASS || r.verdict == Verdict::SKIP) continue;
    if (!header) s += "\nfailures (each with the command that reproduces it):\n";
    header = true;
    s += fmt::format("\n{} {} [{}]: {}\n", evidence::to_string(r.verdict), r.id, r.backend, r.message);
    for (const auto& m : r.measurements)
      if (!m.op.empty() && !m.passed)
        s += fmt::format("  measured {} = {}, contract requires {} {}\n", m.metric, m.value, m.op, m.threshold);
    if (!r.counterexample.empty()) s += "  counterexample: " + r.counterexample + "\n";
    s += "  reproduce: " + r.reproduce + "\n";
  }
  return s + "\n" + counts_line(count(results)) + "\n";
}

}  // namespace pv::run
