#pragma once
// A complete, valid evidence file for tests (every field set to something non-default).
#include <cmath>
#include <limits>

#include "harness/evidence/evidence.hpp"

namespace pv::evidence::testing {

inline EvidenceFile sample_evidence() {
  EvidenceFile ev;
  ev.tool_version = "0.1.0";
  ev.git_commit = "0123456789abcdef0123456789abcdef01234567";
  ev.started = "2025-11-26T01:00:00Z";
  ev.finished = "2025-11-26T01:02:03.5Z";
  ev.machine = {"gpu-box", "AMD EPYC 9654", "NVIDIA H100 80GB HBM3", "570.86", "13.0", 16};
  ev.seed = 18446744073709551615ull;  // largest seed: must survive JSON unchanged
  ev.model = "synthetic:tiny@42";
  ev.contract_hashes["moe-router-v1"] = std::string(64, 'a');
  FalsifierResult r;
  r.id = "FALSIFY-MOE-ROUTER-001";
  r.contract = "moe-router-v1";
  r.backend = "cuda";
  r.verdict = Verdict::FAIL;
  r.measurements.push_back({"max_weight_sum_error", 1.5e-7, "<=", 1e-6, "", true});
  r.measurements.push_back({"nmse", std::numeric_limits<double>::quiet_NaN(), "<=", 1e-4, "", false});
  r.measurements.push_back({"max_rel_error", std::numeric_limits<double>::infinity(), "", 0, "", false});
  r.message = "weights \"sum\" to 0.9\nsecond line";
  r.counterexample = "T=1 E=4 k=2 logits=[0,0,0,0]";
  r.reproduce = "pv run --falsifier FALSIFY-MOE-ROUTER-001 --backend cuda --seed 7";
  r.seed = 7;
  r.seconds = 0.25;
  r.source_hashes["engine/cuda"] = std::string(64, 'b');
  ev.results.push_back(r);
  return ev;
}

}  // namespace pv::evidence::testing
