#include <algorithm>
#include <cmath>

#include "harness/contract/finding.hpp"
#include "harness/contract/model.hpp"

namespace pv::contract {

const char* to_string(StageStatus s) {
  switch (s) {
    case StageStatus::PENDING: return "PENDING";
    case StageStatus::PARTIAL: return "PARTIAL";
    case StageStatus::SHIPPED: return "SHIPPED";
  }
  return "?";
}

const char* to_string(Backend b) { return b == Backend::cpu ? "cpu" : "cuda"; }

const char* to_string(FalsifierKind k) {
  switch (k) {
    case FalsifierKind::property: return "property";
    case FalsifierKind::golden: return "golden";
    case FalsifierKind::parity: return "parity";
    case FalsifierKind::performance: return "performance";
    case FalsifierKind::external: return "external";
  }
  return "?";
}

const char* to_string(Severity s) { return s == Severity::error ? "error" : "warning"; }

bool Threshold::holds(double measured) const {
  if (std::isnan(measured) || std::isnan(value)) return false;
  if (op == ">=") return measured >= value;
  if (op == "<=") return measured <= value;
  if (op == ">") return measured > value;
  if (op == "<") return measured < value;
  if (op == "==") return measured == value;
  return false;  // the loader rejects any other operator
}

const Threshold* FalsificationTest::threshold(const std::string& metric) const {
  auto it = std::find_if(thresholds.begin(), thresholds.end(),
                         [&](const Threshold& t) { return t.metric == metric; });
  return it == thresholds.end() ? nullptr : &*it;
}

const FalsificationTest* Contract::falsifier(const std::string& id) const {
  auto it = std::find_if(falsification_tests.begin(), falsification_tests.end(),
                         [&](const FalsificationTest& f) { return f.id == id; });
  return it == falsification_tests.end() ? nullptr : &*it;
}

const ProofObligation* Contract::obligation(const std::string& id) const {
  auto it = std::find_if(proof_obligations.begin(), proof_obligations.end(),
                         [&](const ProofObligation& o) { return o.id == id; });
  return it == proof_obligations.end() ? nullptr : &*it;
}

}  // namespace pv::contract
