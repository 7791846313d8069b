// Stale evidence: a changed engine source or contract makes results stale: shown, never counted.
#include <catch2/catch.hpp>

#include "harness/report/tests/world.hpp"

using namespace pv::report;
using namespace pv::report::testing;
using pv::contract::StageStatus;

namespace {
void pass_all_cpu(World& w) {
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS), w.result("F-B", "cpu", Verdict::PASS),
                  w.result("F-C", "cpu", Verdict::PASS)});
}
}  // namespace

TEST_CASE("freshness: matching hashes are fresh") {
  World w("fresh");
  pass_all_cpu(w);
  Report r = w.derive_now();
  REQUIRE(r.stale_results() == 0);
  REQUIRE(r.contracts[0].stages[0].derived == StageStatus::SHIPPED);
}

TEST_CASE("freshness: changing an engine source makes its evidence stale") {
  World w("source");
  pass_all_cpu(w);
  w.write("engine/cpu/kernel.cpp", "int kernel() { return 2; }\n");
  Report r = w.derive_now();
  REQUIRE(r.stale_results() == 3);
  const auto& v = r.contracts[0].falsifiers[0].results.at(0);
  REQUIRE(v.stale);
  REQUIRE_FALSE(v.counted);
  REQUIRE(v.stale_reasons.at(0) == "engine/cpu changed since the run");
  REQUIRE(r.contracts[0].falsifiers[0].on(Backend::cpu)->outcome == Outcome::stale);
  REQUIRE(r.contracts[0].stages[0].derived == StageStatus::PENDING);
  // A fresh run on the new sources counts again, with the stale one still listed.
  pass_all_cpu(w);
  Report r2 = w.derive_now();
  REQUIRE(r2.contracts[0].stages[0].derived == StageStatus::SHIPPED);
  REQUIRE(r2.stale_results() == 3);
}

TEST_CASE("freshness: a deleted source group or a changed contract makes evidence stale") {
  World w("gone");
  pass_all_cpu(w);
  std::filesystem::remove_all(w.root / "engine/cpu");
  REQUIRE_THAT(w.derive_now().contracts[0].falsifiers[0].results.at(0).stale_reasons.at(0),
               Catch::Contains("engine/cpu is missing"));

  World c("contract");
  pass_all_cpu(c);
  // A new threshold changes the contract's fingerprint; a declared status would not.
  c.contracts[0].implementation_stages.at(0).status = pv::contract::StageStatus::SHIPPED;
  REQUIRE(c.derive_now().stale_results() == 0);
  c.contracts[0].falsification_tests[0].thresholds.push_back({"max_rel_error", "<=", 1e-3, "", "", {}});
  Report r = c.derive_now();
  REQUIRE(r.stale_results() == 3);
  REQUIRE(r.contracts[0].falsifiers[0].results.at(0).stale_reasons.at(0) == "contract toy-v1 changed since the run");
}

TEST_CASE("freshness: evidence without the contract's hash, or with an escaping path, is stale") {
  World w("nohash");
  auto r = w.result("F-A", "cpu", Verdict::PASS);
  r.source_hashes["../outside"] = r.source_hashes["engine/cpu"];
  w.add_evidence({r});
  Report rep = w.derive_now();
  const auto& reasons = rep.contracts[0].falsifiers[0].results.at(0).stale_reasons;
  REQUIRE(reasons.size() == 1);
  REQUIRE(reasons[0] == "../outside is missing or unreadable now");
  // Rewrite the file without a contract hash.
  auto ev = pv::evidence::read(w.evidence_paths[0]);
  ev.contract_hashes.clear();
  pv::evidence::write_atomic(ev, w.evidence_paths[0]);
  REQUIRE(w.derive_now().contracts[0].falsifiers[0].results.at(0).stale_reasons.at(0) ==
          "no hash recorded for contract toy-v1");
}

TEST_CASE("freshness: a source recorded as \"missing\" at run time is never fresh") {
  World w("missing");
  auto r = w.result("F-A", "cpu", Verdict::PASS);
  r.source_hashes["engine/cpu"] = pv::evidence::kMissingSource;
  w.add_evidence({r});
  Report rep = w.derive_now();
  REQUIRE(rep.contracts[0].falsifiers[0].results.at(0).stale_reasons.at(0) ==
          "engine/cpu did not exist when the run was made");
  REQUIRE(rep.contracts[0].falsifiers[0].on(Backend::cpu)->outcome == Outcome::stale);
}
