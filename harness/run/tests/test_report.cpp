#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

#include "harness/run/collect.hpp"
#include "harness/run/junit.hpp"
#include "harness/run/plan.hpp"
#include "harness/run/summary.hpp"
#include "harness/run/tests/helpers.hpp"

using pv::evidence::Verdict;
namespace fs = std::filesystem;

TEST_CASE("thresholds: each comparison, NaN never holds, unknown op is an error") {
  using pv::falsify::Limit;
  CHECK(Limit{">=", 0.99, ""}.holds(0.99));
  CHECK_FALSE(Limit{">=", 0.99, ""}.holds(0.98));
  CHECK(Limit{"<=", 1e-6, ""}.holds(1e-6));
  CHECK_FALSE(Limit{"<", 1e-6, ""}.holds(1e-6));
  CHECK(Limit{">", 0, ""}.holds(1e-300));
  CHECK(Limit{"==", 0, ""}.holds(0));
  CHECK_FALSE(Limit{"==", 0, ""}.holds(1));
  CHECK_FALSE(Limit{"<=", 1, ""}.holds(NAN));
  CHECK_FALSE(Limit{">=", 1, ""}.holds(NAN));
  const Limit bad{"=>", 1, ""};
  CHECK_THROWS_AS(bad.holds(1), pv::falsify::FalsifierError);
}

namespace {
pv::contract::Contract contract_with(const std::string& id, std::vector<pv::contract::Backend> backends) {
  pv::contract::Contract c;
  c.name = "test-contract";
  c.path = "contracts/test.yaml";
  pv::contract::FalsificationTest f;
  f.id = id;
  f.backends = backends;
  f.thresholds.push_back({"m", "<=", 1.0, "", "", {}});
  f.parameters["cases"] = 12;
  c.falsification_tests.push_back(f);
  return c;
}
}  // namespace

TEST_CASE("plan: thresholds and parameters reach the context; one task per requested backend") {
  using B = pv::contract::Backend;
  std::vector<pv::contract::Contract> cs = {contract_with("TEST-PASS", {B::cpu, B::cuda})};
  pv::run::PlanOptions o;
  o.seed = 7;
  o.model_arg = "m.gguf";
  auto plan = pv::run::make_plan(cs, o);
  REQUIRE(plan.errors.empty());
  REQUIRE(plan.tasks.size() == 2);
  CHECK(plan.tasks[1].backend == "cuda");
  CHECK(plan.tasks[0].ctx.thresholds.at("m").value == 1.0);
  CHECK(plan.tasks[0].ctx.param("cases") == 12);
  CHECK(plan.tasks[0].ctx.reproduce == "pv run --only TEST-PASS --backend cpu --seed 7 --model m.gguf");
  o.backends = {"cpu"};
  CHECK(pv::run::make_plan(cs, o).tasks.size() == 1);
  o.filter = "NOPE";
  CHECK(pv::run::make_plan(cs, o).tasks.empty());
  o.filter = "([";
  CHECK_FALSE(pv::run::make_plan(cs, o).errors.empty());
  o.filter.clear();
  o.only = {"TEST-UNDECLARED"};
  auto bad = pv::run::make_plan(cs, o);
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].find("TEST-UNDECLARED") != std::string::npos);
  // Registered test falsifiers that no contract declares are reported, not run.
  CHECK_FALSE(pv::run::make_plan(cs, pv::run::PlanOptions{}).warnings.empty());
}

TEST_CASE("a declared falsifier without implementation is ERROR") {
  using B = pv::contract::Backend;
  auto plan = pv::run::make_plan({contract_with("FALSIFY-NOWHERE-001", {B::cpu})}, {});
  REQUIRE(plan.tasks.size() == 1);
  CHECK(plan.tasks[0].preset);
  CHECK(plan.tasks[0].preset_verdict == Verdict::ERROR);
}

namespace {
std::vector<pv::evidence::FalsifierResult> sample_results() {
  pv::evidence::FalsifierResult a;
  a.id = "TEST-PASS";
  a.contract = "test-contract";
  a.backend = "cpu";
  a.verdict = Verdict::PASS;
  a.measurements.push_back({"m", 0.5, "<=", 1.0, "", true});
  auto b = a;
  b.id = "TEST-FAIL";
  b.verdict = Verdict::FAIL;
  b.message = "m = 2 <needs> & \"quotes\"";
  b.counterexample = "x = <7> & \x01";
  b.measurements[0] = {"m", 2, "<=", 1.0, "", false};
  auto c = a;
  c.id = "TEST-SKIP";
  c.verdict = Verdict::SKIP;
  c.message = "no GPU";
  c.measurements.clear();
  auto d = c;
  d.id = "TEST-CRASH";
  d.verdict = Verdict::CRASH;
  return {a, b, c, d};
}

// Minimal well-formedness: every tag closes in order, no raw '&' or '<' in text.
bool well_formed(const std::string& x) {
  std::vector<std::string> stack;
  std::regex tag(R"(<(/?)([A-Za-z-]+)[^<>]*?(/?)>)");
  const std::size_t base = x.find("?>") + 2;
  std::size_t last = base;
  for (auto it = std::sregex_iterator(x.begin() + base, x.end(), tag); it != std::sregex_iterator(); ++it) {
    const std::size_t at = base + it->position();  // position() counts from the range start
    std::string between = x.substr(last, at - last);
    if (between.find('<') != std::string::npos || std::regex_search(between, std::regex("&(?!(amp|lt|gt|quot|apos);)")))
      return false;
    last = at + it->length();
    if ((*it)[1] == "/") {
      if (stack.empty() || stack.back() != (*it)[2]) return false;
      stack.pop_back();
    } else if ((*it)[3] != "/") {
      stack.push_back((*it)[2]);
    }
  }
  return stack.empty();
}
}  // namespace

TEST_CASE("JUnit XML is well formed and maps verdicts") {
  std::string x = pv::run::junit_xml(sample_results());
  INFO(x);
  CHECK(well_formed(x));
  CHECK(x.find("tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\"") != std::string::npos);
  CHECK(x.find("<failure message=\"m = 2 &lt;needs&gt; &amp; &quot;quotes&quot;\"") != std::string::npos);
  CHECK(x.find("<error type=\"CRASH\"") != std::string::npos);
  CHECK(x.find("<skipped message=\"no GPU\"/>") != std::string::npos);
  CHECK(x.find('\x01') == std::string::npos);
  auto dir = fs::temp_directory_path() / ("pv-junit-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  pv::run::write_junit(sample_results(), (dir / "j.xml").string());
  CHECK(fs::file_size(dir / "j.xml") == x.size());
  CHECK_THROWS(pv::run::write_junit(sample_results(), (dir / "no/such/dir/j.xml").string()));
  fs::remove_all(dir);
}

TEST_CASE("evidence is collected with source hashes and written atomically") {
  auto results = sample_results();
  std::vector<pv::run::Task> tasks;
  for (const auto& r : results) tasks.push_back(test_task(r.id));
  pv::run::RunInfo info;
  info.source_dir = PV_SOURCE_DIR;
  info.seed = 42;
  info.model = "synthetic:test";
  info.started = info.finished = pv::run::utc_now_iso8601();
  auto ev = pv::run::collect_evidence(tasks, results, {}, info);
  REQUIRE(ev.results.size() == 4);
  // TEST-PASS declares the source group harness/run: its hash is recorded.
  CHECK(ev.results[0].source_hashes.at("harness/run").size() == 64);
  auto dir = fs::temp_directory_path() / ("pv-ev-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto path = (dir / "ev.json").string();
  pv::evidence::write_atomic(ev, path);
  auto back = pv::evidence::read(path);
  CHECK(back.results.size() == 4);
  CHECK(back.results[1].verdict == Verdict::FAIL);
  CHECK(back.results[0].source_hashes == ev.results[0].source_hashes);
  // A failed write leaves neither a file nor a temporary behind.
  CHECK_THROWS(pv::evidence::write_atomic(ev, (dir / "missing/ev.json").string()));
  std::size_t files = 0;
  for (auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);
  fs::remove_all(dir);
}

TEST_CASE("run outcome: SKIP is never a pass; FAIL/ERROR/CRASH/TIMEOUT fail the run") {
  auto rs = sample_results();
  auto c = pv::run::count(rs);
  CHECK(c.pass == 1);
  CHECK(c.skip == 1);
  CHECK(pv::run::run_failed(c, false));
  pv::run::Counts only_skips{1, 0, 1, 0, 0, 0};
  CHECK_FALSE(pv::run::run_failed(only_skips, false));
  CHECK(pv::run::run_failed(only_skips, true));
  std::string table = pv::run::summary_table(rs);
  CHECK(table.find("1 PASS, 1 FAIL, 0 ERROR, 1 CRASH, 0 TIMEOUT, 1 SKIP") != std::string::npos);
  CHECK(table.find("measured m = 2, contract requires <= 1") != std::string::npos);
}
