// Derivation rules: discharge per backend, SHIPPED/PARTIAL/PENDING, over- and under-claims,
// SKIP and undeclared backends never count, newest result wins, two machines merge.
#include <catch2/catch.hpp>

#include "harness/report/tests/world.hpp"

using namespace pv::report;
using namespace pv::report::testing;
using pv::contract::StageStatus;

namespace {
const StageReport& stage(const Report& r, const std::string& id) {
  for (const auto& s : r.contracts.at(0).stages)
    if (s.stage->id == id) return s;
  throw std::runtime_error("no stage " + id);
}
const FalsifierBackend& outcome(const Report& r, const std::string& f, Backend b) {
  for (const auto& x : r.contracts.at(0).falsifiers)
    if (x.id == f) return *x.on(b);
  throw std::runtime_error("no falsifier " + f);
}
bool has_note(const StageReport& s, const std::string& text) {
  for (const auto& n : s.notes)
    if (n.find(text) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("derive: no evidence -> every stage PENDING") {
  World w("none");
  Report r = w.derive_now();
  for (const auto& s : r.contracts[0].stages) REQUIRE(s.derived == StageStatus::PENDING);
  REQUIRE(outcome(r, "F-A", Backend::cpu).outcome == Outcome::missing);
}

TEST_CASE("derive: all obligations discharged on cpu -> SHIPPED, some -> PARTIAL") {
  World w("cpu");
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS), w.result("F-B", "cpu", Verdict::PASS),
                  w.result("F-C", "cpu", Verdict::PASS)});
  Report r = w.derive_now();
  REQUIRE(stage(r, "S-CPU").derived == StageStatus::SHIPPED);
  REQUIRE(stage(r, "S-CPU").discharged_count() == 3);

  World p("partial");
  p.add_evidence({p.result("F-A", "cpu", Verdict::PASS), p.result("F-B", "cpu", Verdict::FAIL)});
  Report q = p.derive_now();
  const StageReport& s = stage(q, "S-CPU");
  REQUIRE(s.derived == StageStatus::PARTIAL);
  REQUIRE(s.obligations[1].missing.at(0).falsifier == "F-B");
  REQUIRE(s.obligations[1].missing.at(0).outcome == Outcome::failed);
  REQUIRE(s.obligations[2].missing.at(0).outcome == Outcome::missing);
}

TEST_CASE("derive: a backend the stage requires needs its own PASS") {
  World w("backend");
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS), w.result("F-B", "cpu", Verdict::PASS)});
  Report r = w.derive_now();
  REQUIRE(stage(r, "S-CUDA").derived == StageStatus::PENDING);  // cpu passes do not count for cuda
  // No falsifier discharging AC_C declares cuda: S-CUDA-C can never be discharged, and says why.
  REQUIRE(stage(r, "S-CUDA-C").derived == StageStatus::PENDING);
  REQUIRE(has_note(stage(r, "S-CUDA-C"), "no falsifier discharging AC_C runs on cuda"));
  // A stage listing no backends needs every declared backend of F-A (cpu and cuda).
  REQUIRE(stage(r, "S-ANY").derived == StageStatus::PENDING);
  w.add_evidence({w.result("F-A", "cuda", Verdict::PASS)}, "2025-11-26T02:00:00Z", "gpu-box");
  Report r2 = w.derive_now();
  REQUIRE(stage(r2, "S-ANY").derived == StageStatus::SHIPPED);
  REQUIRE(stage(r2, "S-CUDA").derived == StageStatus::PARTIAL);
}

TEST_CASE("derive: a result on a backend the falsifier does not declare never counts") {
  World w("undeclared");
  w.contracts[0].falsification_tests[0].backends = {Backend::cpu};  // F-A: cpu only
  w.stage("S-CUDA").expected_acceptance = {"AC_A"};
  w.add_evidence({w.result("F-A", "cuda", Verdict::PASS)});
  Report r = w.derive_now();
  REQUIRE(stage(r, "S-CUDA").derived == StageStatus::PENDING);
  REQUIRE(r.contracts[0].falsifiers[0].results.at(0).note.find("not declared") != std::string::npos);
  REQUIRE_FALSE(r.contracts[0].falsifiers[0].results.at(0).counted);
}

TEST_CASE("derive: SKIP never counts, and does not hide an older result either way") {
  World w("skip");
  w.add_evidence({w.result("F-A", "cpu", Verdict::SKIP), w.result("F-B", "cpu", Verdict::SKIP),
                  w.result("F-C", "cpu", Verdict::SKIP)});
  Report r = w.derive_now();
  REQUIRE(stage(r, "S-CPU").derived == StageStatus::PENDING);
  REQUIRE(outcome(r, "F-A", Backend::cpu).outcome == Outcome::skipped);
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS)}, "2025-11-26T00:00:00Z");  // older PASS
  w.add_evidence({w.result("F-A", "cpu", Verdict::SKIP)}, "2025-11-27T00:00:00Z");  // newer SKIP
  REQUIRE(outcome(w.derive_now(), "F-A", Backend::cpu).outcome == Outcome::passed);
}

TEST_CASE("derive: the newest fresh result decides per (falsifier, backend)") {
  World w("newest");
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS)}, "2025-11-26T03:00:00Z");
  w.add_evidence({w.result("F-A", "cpu", Verdict::FAIL)}, "2025-11-26T04:00:00Z");
  Report r = w.derive_now();
  REQUIRE(outcome(r, "F-A", Backend::cpu).outcome == Outcome::failed);  // a regression is not hidden
  REQUIRE(r.contracts[0].falsifiers[0].results[0].note == "superseded by a newer result");

  // Time zones are honoured: 05:30+02:00 is 03:30Z, older than the FAIL at 04:00Z.
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS)}, "2025-11-26T05:30:00+02:00");
  REQUIRE(outcome(w.derive_now(), "F-A", Backend::cpu).outcome == Outcome::failed);
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS)}, "2025-11-26T04:00:01Z");
  REQUIRE(outcome(w.derive_now(), "F-A", Backend::cpu).outcome == Outcome::passed);
}

TEST_CASE("derive: evidence from two machines merges") {
  World w("merge");
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS), w.result("F-B", "cpu", Verdict::PASS),
                  w.result("F-C", "cpu", Verdict::PASS)}, "2025-11-26T01:00:00Z", "cpu-box");
  w.add_evidence({w.result("F-A", "cuda", Verdict::PASS), w.result("F-B", "cuda", Verdict::PASS)},
                 "2025-11-25T01:00:00Z", "gpu-box");
  Report r = w.derive_now();
  REQUIRE(r.files.size() == 2);
  REQUIRE(stage(r, "S-CPU").derived == StageStatus::SHIPPED);
  REQUIRE(stage(r, "S-CUDA").derived == StageStatus::SHIPPED);
  REQUIRE(stage(r, "S-ANY").derived == StageStatus::SHIPPED);
}

TEST_CASE("derive: over-claim names stage, missing obligations and falsifiers with backends") {
  World w("over");
  w.stage("S-CUDA").status = StageStatus::SHIPPED;
  w.add_evidence({w.result("F-A", "cuda", Verdict::PASS), w.result("F-B", "cuda", Verdict::FAIL)});
  Report r = w.derive_now();
  const StageReport& s = stage(r, "S-CUDA");
  REQUIRE(s.derived == StageStatus::PARTIAL);
  REQUIRE(s.over_claim);
  REQUIRE(r.over_claims() == 1);
  auto errors = over_claim_errors(r);
  REQUIRE(errors.size() == 1);
  REQUIRE_THAT(errors[0], Catch::Contains("S-CUDA") && Catch::Contains("declares SHIPPED") &&
                              Catch::Contains("evidence shows PARTIAL") && Catch::Contains("AC_B") &&
                              Catch::Contains("F-B on cuda [failed]") &&
                              Catch::Contains("run: pv run --backend cuda --only F-B"));
  REQUIRE_THAT(errors[0], !Catch::Contains("AC_A"));
}

TEST_CASE("derive: under-claim is a note suggesting the status to write, not an error") {
  World w("under");
  w.stage("S-CPU").status = StageStatus::PARTIAL;
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS), w.result("F-B", "cpu", Verdict::PASS),
                  w.result("F-C", "cpu", Verdict::PASS)});
  Report r = w.derive_now();
  const StageReport& s = stage(r, "S-CPU");
  REQUIRE(s.under_claim);
  REQUIRE_FALSE(s.over_claim);
  REQUIRE(has_note(s, "write `status: SHIPPED`"));
  REQUIRE(over_claim_errors(r).empty());
}

TEST_CASE("derive: a malformed file is an error and counts nothing; unknown contracts are listed") {
  World w("bad");
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS)});
  w.write("evidence/bad.json", "{\"format\": \"pv-evidence\", \"version\": 1, \"results\": [");
  w.evidence_paths.push_back((w.root / "evidence/bad.json").string());
  auto foreign = w.result("F-Z", "cpu", Verdict::PASS);
  foreign.contract = "other-v1";
  w.add_evidence({foreign});
  Report r = w.derive_now();
  REQUIRE(r.errors.size() == 1);
  REQUIRE_THAT(r.errors[0], Catch::Contains("bad.json") && Catch::Contains("not valid JSON"));
  REQUIRE(r.files.size() == 2);
  REQUIRE(r.unmatched.size() == 1);
  REQUIRE_THAT(r.unmatched[0], Catch::Contains("other-v1") && Catch::Contains("not loaded"));
  REQUIRE(outcome(r, "F-A", Backend::cpu).outcome == Outcome::passed);
}

TEST_CASE("derive: the same file given twice is read once") {
  World w("twice");
  std::string p = w.add_evidence({w.result("F-A", "cpu", Verdict::PASS)});
  w.evidence_paths.push_back(p);
  REQUIRE(w.derive_now().files.size() == 1);
}

TEST_CASE("parse_iso8601: known instants") {
  REQUIRE(parse_iso8601("1970-01-01T00:00:00Z") == 0);
  REQUIRE(parse_iso8601("2000-03-01T00:00:00Z") == 951868800);
  REQUIRE(parse_iso8601("2000-03-01T02:00:00.5+02:00") == 951868800.5);
  REQUIRE_THROWS(parse_iso8601("yesterday"));
}
