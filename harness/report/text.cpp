#include "harness/report/text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace pv::report::text {

std::string number(double v) {
  if (std::isnan(v)) return "not measured";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.4g}", v);
}

std::string measurement(const evidence::Measurement& m) {
  std::string unit = m.unit.empty() ? "" : " " + m.unit;
  if (m.op.empty()) return m.metric + " = " + number(m.value) + unit + " (recorded)";
  return m.metric + " = " + number(m.value) + unit + " " + m.op + " " + number(m.threshold) + unit +
         (m.passed ? " (pass)" : " (FAIL)");
}

std::string missing(const Missing& m) {
  if (m.falsifier.empty()) return std::string("no falsifier on ") + backend_name(m.backend);
  return m.falsifier + " on " + backend_name(m.backend) + ": " + outcome_name(m.outcome);
}

std::string machine(const evidence::Machine& m) {
  std::string s = m.hostname.empty() ? "?" : m.hostname;
  if (!m.cpu_model.empty()) s += ", " + m.cpu_model + " (" + std::to_string(m.cpu_threads) + " threads)";
  if (!m.gpu_name.empty()) s += ", " + m.gpu_name;
  if (!m.gpu_driver.empty()) s += ", driver " + m.gpu_driver;
  if (!m.cuda_version.empty()) s += ", CUDA " + m.cuda_version;
  return s;
}

std::string escape_md(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += "<br>";
    else if (c == '<') out += "&lt;";
    else out += c;
  }
  return out;
}

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace pv::report::text
