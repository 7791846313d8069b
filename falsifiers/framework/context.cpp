#include <fmt/core.h>

#include <cmath>

#include "falsifiers/framework/falsifier.hpp"

namespace pv::falsify {

bool Limit::holds(double m) const {
  if (std::isnan(m)) return false;
  if (op == ">=") return m >= value;
  if (op == "<=") return m <= value;
  if (op == ">") return m > value;
  if (op == "<") return m < value;
  if (op == "==") return m == value;
  throw FalsifierError("unknown comparison '" + op + "' (expected >=, <=, >, <, ==)");
}

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::PASS: return "PASS";
    case Outcome::FAIL: return "FAIL";
    case Outcome::SKIP: return "SKIP";
    case Outcome::ERROR: return "ERROR";
  }
  return "ERROR";
}

const Limit& Context::limit(const std::string& metric) const {
  auto it = thresholds.find(metric);
  if (it == thresholds.end()) {
    std::string have;
    for (const auto& [m, l] : thresholds) have += (have.empty() ? "" : ", ") + m;
    throw FalsifierError(fmt::format(
        "{}: the contract declares no threshold for metric '{}' (it declares: {}); add it to "
        "the falsification test's thresholds", id, metric, have.empty() ? "none" : have));
  }
  return it->second;
}

bool Context::check(const std::string& metric, double measured) {
  const Limit& l = limit(metric);
  Measurement m{metric, measured, l, true, l.holds(measured)};
  measurements.push_back(m);
  return m.passed;
}

void Context::record(const std::string& metric, double measured, const std::string& unit) {
  Measurement m{metric, measured, Limit{"", 0, unit}, false, true};
  measurements.push_back(m);
}

double Context::param(const std::string& name) const {
  auto it = parameters.find(name);
  if (it == parameters.end())
    throw FalsifierError(fmt::format("{}: the contract declares no parameter '{}'", id, name));
  return it->second;
}

double Context::param(const std::string& name, double fallback) const {
  auto it = parameters.find(name);
  return it == parameters.end() ? fallback : it->second;
}

int Context::int_param(const std::string& name, int fallback) const {
  double v = param(name, fallback);
  if (!(v >= 0 && v <= 1e9) || v != std::floor(v))
    throw FalsifierError(fmt::format("{}: parameter '{}' = {} is not a small non-negative integer", id, name, v));
  return static_cast<int>(v);
}

void Context::fail_with(const std::string& text) {
  if (counterexample.empty()) counterexample = text;
}

bool Context::any_failed() const {
  for (const auto& m : measurements)
    if (m.gated && !m.passed) return true;
  return false;
}

Outcome Context::outcome() const {
  bool gated = false;
  for (const auto& m : measurements) gated = gated || m.gated;
  if (!gated) return Outcome::ERROR;
  return any_failed() ? Outcome::FAIL : Outcome::PASS;
}

std::string Context::summary() const {
  std::string s;
  for (const auto& m : measurements) {
    if (!m.gated || m.passed) continue;
    s += fmt::format("{}{} = {:.6g}, contract requires {} {:.6g}", s.empty() ? "" : "; ", m.metric,
                     m.value, m.limit.op, m.limit.value);
  }
  if (!measurements.empty() && outcome() == Outcome::ERROR) s = "the falsifier checked no threshold";
  if (measurements.empty()) s = "the falsifier recorded no measurement";
  for (const auto& n : notes) s += (s.empty() ? "" : "; ") + n;
  return s;
}

}  // namespace pv::falsify
