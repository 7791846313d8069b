#pragma once
// What a falsifier is. The harness fills a Context from the contract (thresholds, parameters)
// and the command line (backend, seed, model); the falsifier measures and records.
// Falsifiers know nothing of YAML or argv.
//
// A falsifier's verdict follows from what it recorded (see Context::outcome):
//   - it called ctx.skip(reason)                -> SKIP (never counted as passing)
//   - it threw (or asked for a missing metric)  -> ERROR with the message
//   - any ctx.check(...) did not hold           -> FAIL (measured, threshold, counterexample)
//   - it checked nothing                        -> ERROR (a falsifier that measures nothing
//                                                  cannot fail, so it cannot pass either)
//   - otherwise                                 -> PASS
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "falsifiers/framework/registry.hpp"

namespace pv::falsify {

struct Context;
using RunFn = void (*)(Context& ctx);

struct FalsifierInfo {
  std::string id;                    // exact contract ID, e.g. FALSIFY-MOE-ROUTER-001
  std::string kind;                  // property | golden | parity | performance
  std::vector<std::string> sources;  // engine source groups exercised, e.g. "engine/cpu"
  RunFn run = nullptr;
};

struct Registrar {
  explicit Registrar(const FalsifierInfo& info) { register_falsifier(info); }
};

// A threshold as the contract states it: the measured value passes when `measured op value`.
struct Limit {
  std::string op;  // >=, <=, >, <, ==
  double value = 0;
  std::string unit;
  bool holds(double measured) const;  // NaN never holds
};

// One recorded number. `gated` is false for values recorded for the evidence only
// (e.g. top-k agreement next to a cosine gate); those never decide the verdict.
struct Measurement {
  std::string metric;
  double value = 0;
  Limit limit;
  bool gated = true;
  bool passed = true;
};

// ctx.skip() throws this; the runner turns it into SKIP with the reason.
struct Skip : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A falsifier that cannot measure (missing metric or parameter, bad fixture) throws this
// (or any std::exception); the runner turns it into ERROR.
struct FalsifierError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Outcome { PASS, FAIL, SKIP, ERROR };
const char* to_string(Outcome o);

struct Context {
  // --- filled by the harness --------------------------------------------------------------
  std::string id;                          // falsifier ID
  std::map<std::string, Limit> thresholds; // metric -> op, value (from the contract)
  std::map<std::string, double> parameters;  // non-threshold numbers (from the contract)
  std::string backend = "cpu";             // cpu | cuda
  std::uint64_t seed = 0;
  std::string model_path;                  // GGUF file: synthetic (tiny) or a real model
  bool synthetic_model = true;             // false when --model named a real file
  std::string fixtures_dir;                // falsifiers/golden
  std::string source_dir;                  // repository root
  std::string reproduce;                   // one command line that reproduces this run

  // --- what the falsifier records -----------------------------------------------------------
  std::vector<Measurement> measurements;
  std::string counterexample;              // first failing input, shrunk where possible
  std::vector<std::string> notes;          // short facts for the message (sizes, modes)

  // Records `measured` against the contract's threshold for `metric`; returns whether it
  // holds. A metric the contract does not declare throws FalsifierError naming it.
  bool check(const std::string& metric, double measured);
  // Records a value for the evidence only (no threshold, never decides the verdict).
  void record(const std::string& metric, double measured, const std::string& unit = "");
  const Limit& limit(const std::string& metric) const;  // throws FalsifierError if absent
  bool has_threshold(const std::string& metric) const { return thresholds.count(metric) != 0; }
  // A contract parameter; throws FalsifierError naming it when the contract lacks it.
  double param(const std::string& name) const;
  // A contract parameter with a fallback for sizes and case counts (never for thresholds).
  double param(const std::string& name, double fallback) const;
  int int_param(const std::string& name, int fallback) const;
  // Sets the counterexample unless one is already recorded (the first failure is kept).
  void fail_with(const std::string& counterexample_text);
  void note(const std::string& text) { notes.push_back(text); }
  [[noreturn]] void skip(const std::string& reason) const { throw Skip(reason); }

  bool any_failed() const;
  Outcome outcome() const;    // PASS / FAIL / ERROR from the measurements (see top of file)
  std::string summary() const;  // one line: failed metrics with measured vs threshold, notes
};

}  // namespace pv::falsify

#define PV_FALSIFIER_CONCAT2(a, b) a##b
#define PV_FALSIFIER_CONCAT(a, b) PV_FALSIFIER_CONCAT2(a, b)
// PV_FALSIFIER({"FALSIFY-...", "property", {"engine/cpu"}, &run_fn});
#define PV_FALSIFIER(...)                                                          \
  static const ::pv::falsify::Registrar PV_FALSIFIER_CONCAT(pv_falsifier_, __LINE__){ \
      ::pv::falsify::FalsifierInfo __VA_ARGS__}
