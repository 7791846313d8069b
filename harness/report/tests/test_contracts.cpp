// The shipped contracts load for the report, a committed evidence fixture with old hashes is
// stale against them, and a broken contract stops the report with file:line.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/report/contracts.hpp"
#include "harness/report/report.hpp"

using namespace pv::report;

TEST_CASE("contracts: the shipped contracts load; old hashes make a committed fixture stale") {
  const std::string src = PV_SOURCE_DIR;
  LoadedContracts lc = load_contracts(src + "/contracts");
  INFO((lc.errors.empty() ? std::string() : lc.errors[0]));
  REQUIRE(lc.errors.empty());
  REQUIRE(lc.contracts.size() >= 7);
  Report r = derive(lc.contracts, load_evidence({src + "/harness/report/tests/fixtures/stale-swiglu.json"}), Options{src});
  REQUIRE(r.errors.empty());
  REQUIRE(r.stale_results() == 1);
  for (const auto& c : r.contracts) {
    if (c.name != "swiglu-v1") continue;
    const auto& v = c.falsifiers.at(0).results.at(0);
    REQUIRE(v.stale_reasons.size() == 2);
    REQUIRE(v.stale_reasons[0] == "contract swiglu-v1 changed since the run");
    REQUIRE(v.stale_reasons[1] == "harness/report/tests/fixtures/stale-swiglu.json changed since the run");
    REQUIRE(c.stages.at(0).derived == pv::contract::StageStatus::PENDING);
  }
}

TEST_CASE("contracts: a broken contract is an error with file and line") {
  auto dir = std::filesystem::temp_directory_path() / ("pv-report-badc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.yaml") << "name: [unclosed\n";
  LoadedContracts lc = load_contracts(dir.string());
  REQUIRE_FALSE(lc.errors.empty());
  REQUIRE_THAT(lc.errors[0], Catch::StartsWith((dir / "bad.yaml").string() + ":"));
  REQUIRE(load_contracts((dir / "nothing").string()).errors.at(0).find("no such") != std::string::npos);
  std::filesystem::remove_all(dir);
}
