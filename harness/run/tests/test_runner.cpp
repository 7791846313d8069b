#include <catch2/catch.hpp>
#include <filesystem>
#include <system_error>

#include <unistd.h>

#include "harness/run/isolate.hpp"
#include "harness/run/runner.hpp"
#include "harness/run/tests/helpers.hpp"

using pv::evidence::Verdict;
namespace fs = std::filesystem;

namespace {
// The runner's log directory for this test process, removed when the process exits, so a test
// run leaves nothing in /tmp. Only by the process that made it: a falsifier child that calls
// exit() (TEST-EXIT) runs static destructors too, while the parent still writes logs there.
struct LogDir {
  const ::pid_t owner = ::getpid();
  const fs::path path = fs::temp_directory_path() / ("pv-run-test-" + std::to_string(owner));
  LogDir() { fs::create_directories(path); }
  ~LogDir() {
    std::error_code ec;
    if (::getpid() == owner) fs::remove_all(path, ec);
  }
};
pv::run::RunOptions options(double timeout = 20) {
  static const LogDir dir;
  pv::run::RunOptions o;
  o.log_dir = dir.path.string();
  o.timeout_s = timeout;
  o.jobs = 4;
  return o;
}
pv::evidence::FalsifierResult in_process(const std::string& id) {
  auto t = test_task(id);
  return pv::run::decode_child(t, pv::run::run_in_process(t));
}
}  // namespace

TEST_CASE("verdicts follow from what the falsifier recorded") {
  CHECK(in_process("TEST-PASS").verdict == Verdict::PASS);
  auto f = in_process("TEST-FAIL");
  CHECK(f.verdict == Verdict::FAIL);
  REQUIRE(f.measurements.size() == 1);
  CHECK(f.measurements[0].value == 2.5);
  CHECK(f.measurements[0].op == "<=");
  CHECK(f.measurements[0].threshold == 1.0);
  CHECK_FALSE(f.measurements[0].passed);
  CHECK(f.counterexample == "x = 7");
  CHECK(f.message.find("m = 2.5, contract requires <= 1") != std::string::npos);
  auto s = in_process("TEST-SKIP");
  CHECK(s.verdict == Verdict::SKIP);
  CHECK(s.message == "no such backend here: test");
  auto e = in_process("TEST-ERROR");
  CHECK(e.verdict == Verdict::ERROR);
  CHECK(e.message == "fixture unreadable: test");
  auto n = in_process("TEST-NOTHING");
  CHECK(n.verdict == Verdict::ERROR);
  CHECK(n.message.find("no measurement") != std::string::npos);
}

TEST_CASE("a metric the contract lacks is an ERROR naming it") {
  auto r = in_process("TEST-MISSING-METRIC");
  CHECK(r.verdict == Verdict::ERROR);
  CHECK(r.message.find("'not_in_contract'") != std::string::npos);
  CHECK(r.message.find("it declares: m") != std::string::npos);
}

TEST_CASE("an unregistered falsifier is an ERROR, not a pass") {
  auto t = test_task("TEST-NOT-REGISTERED");
  auto r = pv::run::decode_child(t, pv::run::run_in_process(t));
  CHECK(r.verdict == Verdict::ERROR);
}

TEST_CASE("isolation: crash -> CRASH, hang -> TIMEOUT, the rest still run") {
  std::vector<pv::run::Task> tasks;
  for (auto id : {"TEST-CRASH", "TEST-HANG", "TEST-PASS", "TEST-ABORT", "TEST-EXIT", "TEST-FAIL", "TEST-SKIP"})
    tasks.push_back(test_task(id));
  std::size_t seen = 0;
  auto rs = pv::run::run_tasks(tasks, options(1.0), [&](const auto&, std::size_t done, std::size_t total) {
    CHECK(total == tasks.size());
    seen = done;
  });
  CHECK(seen == tasks.size());
  REQUIRE(rs.size() == tasks.size());
  CHECK(rs[0].verdict == Verdict::CRASH);
  CHECK(rs[0].message.find("signal 11") != std::string::npos);
  CHECK(rs[1].verdict == Verdict::TIMEOUT);
  CHECK(rs[1].seconds >= 0.9);
  CHECK(rs[2].verdict == Verdict::PASS);
  CHECK(rs[3].verdict == Verdict::CRASH);
  CHECK(rs[3].message.find("signal 6") != std::string::npos);
  CHECK(rs[4].verdict == Verdict::CRASH);
  CHECK(rs[4].message.find("status 3") != std::string::npos);
  CHECK(rs[5].verdict == Verdict::FAIL);
  CHECK(rs[6].verdict == Verdict::SKIP);
  for (const auto& r : rs) CHECK(r.reproduce == "pv run --only " + r.id + " --backend cpu --seed 42");
}

// Run in a child: RapidCheck remembers failures process-wide and would print them at exit.
pv::evidence::FalsifierResult in_child(const std::string& id) {
  return pv::run::run_tasks({test_task(id)}, options()).at(0);
}

TEST_CASE("property failures shrink and carry seed and reproduce line") {
  auto r = in_child("TEST-SHRINK");
  CHECK(r.verdict == Verdict::FAIL);
  INFO(r.counterexample);
  CHECK(r.counterexample.find("x=10]") != std::string::npos);        // shrunk to the boundary
  CHECK(r.counterexample.find("seed 42") != std::string::npos);
  CHECK(r.counterexample.find("pv run --only TEST-SHRINK --backend cpu --seed 42") != std::string::npos);
  // The worst value over all cases is what the evidence records.
  REQUIRE(r.measurements.size() == 1);
  CHECK(r.measurements[0].value == 2.0);
  // Same seed, same counterexample.
  CHECK(in_child("TEST-SHRINK").counterexample == r.counterexample);
  auto ok = in_process("TEST-HOLDS");
  CHECK(ok.verdict == Verdict::PASS);
  CHECK(ok.measurements.at(0).value < 1.0);
}
