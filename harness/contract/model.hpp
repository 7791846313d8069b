#pragma once
// The contract model: what a loaded YAML contract means. Documented in contracts/SCHEMA.md.
// Every element keeps the file:line:column it came from, so findings and reports can point at it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pv::contract {

struct SourceLoc {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
};

enum class StageStatus { PENDING, PARTIAL, SHIPPED };
enum class Backend { cpu, cuda };
enum class FalsifierKind { property, golden, parity, performance, external };

const char* to_string(StageStatus s);
const char* to_string(Backend b);
const char* to_string(FalsifierKind k);

// A number with its comparison: the measured value passes when `measured op value` holds.
struct Threshold {
  std::string metric;      // e.g. "cosine_min"
  std::string op;          // one of >=, <=, >, <, ==
  double value = 0;
  std::string unit;        // optional, e.g. "GB/s"
  std::string derivation;  // optional: how the number was derived
  SourceLoc loc;
  bool holds(double measured) const;  // NaN never holds
};

struct Amendment {
  std::string version, date, kind, title, description;
  SourceLoc loc;
};

struct Metadata {
  std::string version;  // semver
  std::string created;  // YYYY-MM-DD
  std::string author;
  std::string description;
  std::vector<std::string> references;
  std::vector<std::string> depends_on;  // contract names
  std::vector<SourceLoc> depends_on_locs;  // where each depends_on entry is
  std::vector<Amendment> amendment_history;
  SourceLoc loc;
};

struct Equation {
  std::string name;  // the key under `equations:`
  std::string formula, domain, codomain;
  std::string description;  // optional prose
  std::vector<std::string> invariants, preconditions, postconditions;
  SourceLoc loc;
};

struct ProofObligation {
  std::string id;  // AC_..., unique repo-wide
  std::string type, property, formal;
  std::optional<double> tolerance;
  SourceLoc loc;
};

struct Stage {
  std::string id;  // M-...
  StageStatus status = StageStatus::PENDING;
  std::string description;
  std::vector<std::string> expected_acceptance;  // obligation IDs
  std::vector<SourceLoc> expected_acceptance_locs;
  std::vector<Backend> backends;                 // backends the stage needs
  std::vector<std::string> evidence;
  std::vector<std::string> blockers;
  SourceLoc loc;
};

struct FalsificationTest {
  std::string id;  // FALSIFY-...
  std::string rule, prediction, test, if_fails;
  std::vector<std::string> discharges;  // obligation IDs
  std::vector<SourceLoc> discharges_locs;
  FalsifierKind kind = FalsifierKind::property;
  std::vector<Backend> backends;
  std::vector<Threshold> thresholds;
  std::map<std::string, double> parameters;  // non-threshold numbers (case counts, sizes)
  std::string reason;                         // required for kind external
  SourceLoc loc;
  const Threshold* threshold(const std::string& metric) const;
};

struct QaGate {
  std::string id, name, description, pass_criteria;
  SourceLoc pass_criteria_loc;
  std::vector<std::string> checks;
  SourceLoc loc;
};

struct KaniHarness {
  std::string id, obligation, property, strategy, harness;
  std::string solver;  // optional
  SourceLoc obligation_loc;
  int bound = 0;
  SourceLoc loc;
};

struct Contract {
  std::string path;  // file it was loaded from
  Metadata metadata;
  std::string name, kind, status, scope, description;
  std::vector<Equation> equations;
  std::vector<ProofObligation> proof_obligations;
  std::vector<Stage> implementation_stages;
  std::vector<FalsificationTest> falsification_tests;
  std::optional<QaGate> qa_gate;
  std::vector<KaniHarness> kani_harnesses;
  SourceLoc loc;

  const FalsificationTest* falsifier(const std::string& id) const;
  const ProofObligation* obligation(const std::string& id) const;
};

}  // namespace pv::contract
