#pragma once
// Property falsifiers on RapidCheck's programmatic API (rc::detail::checkProperty), so that a
// failing case is shrunk before it is reported, the run is driven by the Context's seed (the
// same seed generates the same cases: `pv run --only ID --seed N` reproduces a failure), and
// the verdict is recorded against the contract's thresholds.
//
//   property(ctx, "weights sum to 1", [&](Probe& p) {
//     Config c = *gen_config(...);            // generated, shown and shrunk by RapidCheck
//     p.measure("max_weight_sum_error", err);  // compared with the contract threshold
//   });
//
// Each metric is recorded once per property: its worst value over every case tried (shrink
// steps included), gated by the contract threshold. The first failing case, shrunk, becomes
// the counterexample, with the seed and the reproduce command.
#include <rapidcheck.h>

#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "falsifiers/framework/falsifier.hpp"

namespace pv::falsify {

// What one generated case measured.
class Probe {
 public:
  explicit Probe(const Context& ctx) : ctx_(ctx) {}
  // A metric the contract declares a threshold for; throws FalsifierError otherwise.
  void measure(const std::string& metric, double value);
  // Extra text for the counterexample (sizes, the offending index, ...).
  void describe(const std::string& text) { description_ += (description_.empty() ? "" : "; ") + text; }
  const std::vector<std::pair<std::string, double>>& values() const { return values_; }
  const std::string& description() const { return description_; }
  // The metrics of this case that break their threshold, as "metric = v (needs op t)".
  std::string violations() const;

 private:
  const Context& ctx_;
  std::vector<std::pair<std::string, double>> values_;
  std::string description_;
};

// Keeps the worst value of each metric (max for <=/<, min for >=/>, a differing value for ==;
// NaN is worst of all) and turns them into Context measurements.
class WorstTracker {
 public:
  void update(const Context& ctx, const std::string& metric, double value);
  void commit(Context& ctx) const;  // one ctx.check per metric, in first-seen order
  bool empty() const { return order_.empty(); }

 private:
  std::vector<std::string> order_;
  std::map<std::string, double> worst_;
};

struct PropertyOptions {
  int cases = 100;     // successful cases RapidCheck must see
  int max_size = 100;  // RapidCheck size bound (generators scale with it)
};

namespace detail {
// Records a RapidCheck failure (description, shrunk picks, seed, reproduce line) into ctx.
void record_failure(Context& ctx, const std::string& name, const rc::detail::FailureResult& f,
                    bool metric_failed);
void record_gave_up(Context& ctx, const std::string& name, const std::string& why);
}  // namespace detail

// Runs `fn(Probe&)` for opt.cases generated cases. Returns true when every case held.
// A FalsifierError or Skip thrown inside is not treated as a failing case: it is re-thrown
// after RapidCheck returns (ERROR / SKIP), since it says nothing about the engine.
template <class Fn>
bool property(Context& ctx, const std::string& name, Fn&& fn, PropertyOptions opt = {}) {
  WorstTracker worst;
  std::optional<FalsifierError> error;
  std::optional<Skip> skip;
  auto testable = [&]() {
    Probe p(ctx);
    try {
      fn(p);
    } catch (const FalsifierError& e) {
      if (!error) error.emplace(e);
      return;
    } catch (const Skip& s) {
      if (!skip) skip.emplace(s);
      return;
    }
    for (const auto& [metric, v] : p.values()) worst.update(ctx, metric, v);
    std::string bad = p.violations();
    // Thrown directly (not RC_FAIL) so the report says what failed without a source location.
    if (!bad.empty())
      throw rc::detail::CaseResult(rc::detail::CaseResult::Type::Failure,
                                   bad + (p.description().empty() ? "" : " [" + p.description() + "]"));
  };
  rc::detail::TestMetadata meta;
  meta.id = ctx.id + "/" + name;
  meta.description = name;
  rc::detail::TestParams params;
  params.seed = ctx.seed;
  params.maxSuccess = opt.cases;
  params.maxSize = opt.max_size;
  const rc::detail::TestResult result = rc::detail::checkTestable(testable, meta, params);
  if (error) throw *error;
  if (skip) throw *skip;
  const std::size_t before = ctx.measurements.size();
  worst.commit(ctx);
  bool metric_failed = false;
  for (std::size_t i = before; i < ctx.measurements.size(); ++i)
    metric_failed = metric_failed || !ctx.measurements[i].passed;
  rc::detail::FailureResult failure;
  rc::detail::GaveUpResult gave_up;
  rc::detail::Error rc_error;
  if (result.match(failure)) {
    detail::record_failure(ctx, name, failure, metric_failed);
    return false;
  }
  if (result.match(gave_up)) detail::record_gave_up(ctx, name, gave_up.description);
  if (result.match(rc_error)) throw FalsifierError(name + ": RapidCheck error: " + rc_error.description);
  if (worst.empty()) throw FalsifierError(name + ": the property measured no metric");
  return !metric_failed;
}

}  // namespace pv::falsify
