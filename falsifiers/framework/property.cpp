#include "falsifiers/framework/property.hpp"

#include <fmt/core.h>

#include <cmath>
#include <limits>

namespace pv::falsify {

void Probe::measure(const std::string& metric, double value) {
  ctx_.limit(metric);  // throws FalsifierError naming a metric the contract lacks
  values_.emplace_back(metric, value);
}

std::string Probe::violations() const {
  std::string s;
  for (const auto& [metric, v] : values_) {
    const Limit& l = ctx_.limit(metric);
    if (!l.holds(v)) s += fmt::format("{}{} = {:.6g} (needs {} {:.6g})", s.empty() ? "" : ", ", metric, v, l.op, l.value);
  }
  return s;
}

namespace {
// True when `a` is a worse measurement than `b` under limit `l`.
bool worse(double a, double b, const Limit& l) {
  if (std::isnan(a)) return !std::isnan(b);
  if (std::isnan(b)) return false;
  if (l.op == "<=" || l.op == "<") return a > b;
  if (l.op == ">=" || l.op == ">") return a < b;
  return !l.holds(a) && l.holds(b);  // ==: a value off the target beats one on it
}
}  // namespace

void WorstTracker::update(const Context& ctx, const std::string& metric, double value) {
  auto it = worst_.find(metric);
  if (it == worst_.end()) {
    order_.push_back(metric);
    worst_[metric] = value;
  } else if (worse(value, it->second, ctx.limit(metric))) {
    it->second = value;
  }
}

void WorstTracker::commit(Context& ctx) const {
  for (const auto& m : order_) ctx.check(m, worst_.at(m));
}

namespace detail {

void record_failure(Context& ctx, const std::string& name, const rc::detail::FailureResult& f,
                    bool metric_failed) {
  std::string text = fmt::format("property '{}' failed after {} passing case(s): {}", name,
                                 f.numSuccess, f.description);
  for (const auto& [type, value] : f.counterExample) text += fmt::format("\n  {} = {}", type, value);
  text += fmt::format("\n  seed {} (shrunk by RapidCheck); reproduce: {}", ctx.seed, ctx.reproduce);
  ctx.fail_with(text);
  if (!metric_failed) {
    // The case threw instead of measuring (e.g. the engine rejected a valid input): still a
    // failure of the engine under this property, recorded as a failed gate with no value.
    Measurement m{"property:" + name, std::numeric_limits<double>::quiet_NaN(), Limit{"==", 1, ""},
                  true, false};
    ctx.measurements.push_back(m);
  }
}

void record_gave_up(Context& ctx, const std::string& name, const std::string& why) {
  throw FalsifierError(fmt::format("{}: property '{}' gave up (too many discarded cases): {}",
                                   ctx.id, name, why));
}

}  // namespace detail
}  // namespace pv::falsify
