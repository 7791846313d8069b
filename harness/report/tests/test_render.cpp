// The Markdown, JSON, HTML and status renderings carry the derived facts.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness/report/tests/world.hpp"

using namespace pv::report;
using namespace pv::report::testing;
using pv::contract::StageStatus;

namespace {
Report sample(World& w) {
  w.stage("S-CUDA").status = StageStatus::SHIPPED;  // over-claim
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS), w.result("F-B", "cpu", Verdict::PASS),
                  w.result("F-C", "cpu", Verdict::PASS), w.result("F-A", "cuda", Verdict::FAIL)});
  return w.derive_now();
}
}  // namespace

TEST_CASE("render: markdown has a table per contract and lists over-claims") {
  World w("md");
  std::string md = render_markdown(sample(w));
  REQUIRE_THAT(md, Catch::Contains("### toy-v1"));
  REQUIRE_THAT(md, Catch::Contains("| stage | declared | derived | obligations | notes |"));
  REQUIRE_THAT(md, Catch::Contains("| S-CPU | PENDING | **SHIPPED** | 3/3 |"));
  REQUIRE_THAT(md, Catch::Contains("| **over-claim** S-CUDA | SHIPPED | **PENDING** | 0/2; missing AC_A (F-A on cuda: failed)"));
  REQUIRE_THAT(md, Catch::Contains("cpu-box"));
}

TEST_CASE("render: JSON parses and carries summary, stages and results") {
  World w("json");
  auto j = nlohmann::json::parse(render_json(sample(w)));
  REQUIRE(j["format"] == "pv-report");
  // S-CPU is SHIPPED; S-ANY needs F-A on cuda too, which failed.
  REQUIRE(j["summary"]["SHIPPED"] == 1);
  REQUIRE(j["summary"]["PENDING"] == 3);
  REQUIRE(j["summary"]["over_claims"] == 1);
  REQUIRE(j["over_claim_errors"].size() == 1);
  const auto& stages = j["contracts"][0]["stages"];
  REQUIRE(stages[1]["id"] == "S-CUDA");
  REQUIRE(stages[1]["over_claim"] == true);
  REQUIRE(stages[1]["obligations"][0]["missing"][0]["falsifier"] == "F-A");
  const auto& res = j["contracts"][0]["falsifiers"][0]["results"][0];
  REQUIRE(res["measurements"][0]["metric"] == "max_error");
  REQUIRE(res["counted"] == true);
}

TEST_CASE("render: HTML is self-contained and escapes evidence text") {
  World w("html");
  w.stage("S-CPU").id = "S-<CPU>";
  std::string html = render_html(sample(w));
  REQUIRE_THAT(html, Catch::Contains("S-&lt;CPU&gt;"));
  REQUIRE_THAT(html, !Catch::Contains("S-<CPU>"));
  REQUIRE_THAT(html, !Catch::Contains("<script"));
  REQUIRE_THAT(html, !Catch::Contains("http://") && !Catch::Contains("https://"));
  REQUIRE_THAT(html, Catch::Contains("max_error = 1e-07 &lt;= 1e-06 (pass)"));
}

TEST_CASE("render: status has one line per contract and a total") {
  World w("status");
  std::string s = render_status(sample(w));
  REQUIRE_THAT(s, Catch::Contains("toy-v1    1 SHIPPED  0 PARTIAL  3 PENDING  over-claims: S-CUDA (declared SHIPPED, evidence PENDING)"));
  REQUIRE_THAT(s, Catch::Contains("total: 1 SHIPPED, 0 PARTIAL, 3 PENDING; 1 over-claim(s)"));
}
