#include "harness/run/junit.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>

namespace pv::run {

using evidence::Verdict;

std::string xml_escape(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters; keep tab, newline, carriage return.
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') o += fmt::format("\\x{:02x}", c);
        else o += static_cast<char>(c);
    }
  }
  return o;
}

namespace {
std::string measurements_text(const evidence::FalsifierResult& r) {
  std::string s;
  for (const auto& m : r.measurements) {
    s += fmt::format("{} = {}", m.metric, m.value);
    if (!m.op.empty()) s += fmt::format(" (contract: {} {}) {}", m.op, m.threshold, m.passed ? "ok" : "VIOLATED");
    s += "\n";
  }
  return s;
}
}  // namespace

std::string junit_xml(const std::vector<evidence::FalsifierResult>& results) {
  std::map<std::string, std::vector<const evidence::FalsifierResult*>> suites;
  for (const auto& r : results) suites[r.contract].push_back(&r);
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"pv run\">\n";
  for (const auto& [contract, rs] : suites) {
    int failures = 0, errors = 0, skipped = 0;
    double time = 0;
    for (auto* r : rs) {
      failures += r->verdict == Verdict::FAIL;
      errors += r->verdict == Verdict::ERROR || r->verdict == Verdict::CRASH || r->verdict == Verdict::TIMEOUT;
      skipped += r->verdict == Verdict::SKIP;
      time += r->seconds;
    }
    x += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                     xml_escape(contract), rs.size(), failures, errors, skipped, time);
    for (auto* r : rs) {
      x += fmt::format("    <testcase classname=\"{}\" name=\"{} [{}]\" time=\"{:.3f}\">\n", xml_escape(contract),
                       xml_escape(r->id), xml_escape(r->backend), r->seconds);
      std::string body = xml_escape(measurements_text(*r) + (r->counterexample.empty() ? "" : r->counterexample + "\n") +
                                    "reproduce: " + r->reproduce + "\n");
      const std::string msg = xml_escape(r->message);
      switch (r->verdict) {
        case Verdict::PASS: break;
        case Verdict::FAIL: x += fmt::format("      <failure message=\"{}\">{}</failure>\n", msg, body); break;
        case Verdict::SKIP: x += fmt::format("      <skipped message=\"{}\"/>\n", msg); break;
        default:
          x += fmt::format("      <error type=\"{}\" message=\"{}\">{}</error>\n", evidence::to_string(r->verdict), msg, body);
      }
      x += fmt::format("      <system-out>{}</system-out>\n    </testcase>\n", xml_escape(measurements_text(*r)));
    }
    x += "  </testsuite>\n";
  }
  return x + "</testsuites>\n";
}

void write_junit(const std::vector<evidence::FalsifierResult>& results, const std::string& path) {
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
    out << junit_xml(results);
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error(fmt::format("cannot rename {} to {}: {}", tmp, path, std::strerror(errno)));
  }
}

}  // namespace pv::run
