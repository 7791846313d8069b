// The four output formats of `pv validate`.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness/validate/format.hpp"
#include "harness/validate/rules.hpp"
#include "harness/validate/tests/test_util.hpp"

using namespace pv::validate;

namespace {
Report sample() {
  std::string path = PV_SOURCE_DIR "/harness/validate/tests/invalid/unknown-key-misspelt-falsifiers.yaml";
  return validate_sources({{path, test::read_file(path)}}, {});
}
}  // namespace

TEST_CASE("validate: text: file:line:col, rule, hint, and a closing count line", "[validate][format]") {
  Report r = sample();
  std::string t = format_text(r);
  CHECK(t.find("unknown-key-misspelt-falsifiers.yaml:31:1: error[unknown-key]: unknown key 'falsification_test'") !=
        std::string::npos);
  CHECK(t.find("    hint: did you mean 'falsification_tests'?") != std::string::npos);
  std::string last = t.substr(t.rfind('\n', t.size() - 2) + 1);
  CHECK(last == "2 error(s), 3 warning(s)\n");
  CHECK(format_text(Report{}).find("0 error(s), 0 warning(s)\n") != std::string::npos);
}

TEST_CASE("validate: json: counts and one object per finding", "[validate][format]") {
  Report r = sample();
  auto j = nlohmann::json::parse(format_json(r));
  CHECK(j["errors"] == 2);
  CHECK(j["warnings"] == 3);
  REQUIRE(j["findings"].size() == 5);
  for (const auto& f : j["findings"])
    for (const char* key : {"rule", "severity", "file", "line", "column", "message", "hint"}) CHECK(f.contains(key));
}

TEST_CASE("validate: sarif 2.1.0: rule catalogue and results with regions", "[validate][format]") {
  Report r = sample();
  auto s = nlohmann::json::parse(format_sarif(r, "0.1.0"));
  CHECK(s["version"] == "2.1.0");
  const auto& run = s["runs"][0];
  CHECK(run["tool"]["driver"]["rules"].size() == rules().size());
  REQUIRE(run["results"].size() == 5);
  for (const auto& res : run["results"]) {
    std::size_t idx = res["ruleIndex"];
    CHECK(run["tool"]["driver"]["rules"][idx]["id"] == res["ruleId"]);
    const auto& region = res["locations"][0]["physicalLocation"]["region"];
    CHECK(region["startLine"].get<int>() >= 1);
    CHECK(region["startColumn"].get<int>() >= 1);
    CHECK((res["level"] == "error" || res["level"] == "warning"));
  }
}

TEST_CASE("validate: github: one workflow command per finding, values escaped", "[validate][format]") {
  Report r = sample();
  std::string g = format_github(r);
  CHECK(g.find("::error file=") != std::string::npos);
  CHECK(g.find(",line=31,col=1,title=unknown-key::unknown key 'falsification_test'") != std::string::npos);
  CHECK(g.find("::warning file=") != std::string::npos);
  Report odd;
  odd.findings.push_back({"yaml-syntax", pv::contract::Severity::error, {"a,b:c.yaml", 2, 3}, "100%\nbad", "fix"});
  CHECK(format_github(odd).find("::error file=a%2Cb%3Ac.yaml,line=2,col=3,title=yaml-syntax::100%25%0Abad") == 0);
}
