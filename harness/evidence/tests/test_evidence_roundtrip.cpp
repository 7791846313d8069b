// Writing then reading evidence preserves every field, including NaN, infinities and 64-bit seeds.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <unistd.h>

#include "harness/evidence/tests/sample.hpp"

using namespace pv::evidence;
namespace fs = std::filesystem;

namespace {
bool same_number(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void require_equal(const EvidenceFile& a, const EvidenceFile& b) {
  REQUIRE(a.format == b.format);
  REQUIRE(a.version == b.version);
  REQUIRE(a.tool_version == b.tool_version);
  REQUIRE(a.git_commit == b.git_commit);
  REQUIRE(a.started == b.started);
  REQUIRE(a.finished == b.finished);
  REQUIRE(a.machine.hostname == b.machine.hostname);
  REQUIRE(a.machine.cpu_model == b.machine.cpu_model);
  REQUIRE(a.machine.gpu_name == b.machine.gpu_name);
  REQUIRE(a.machine.gpu_driver == b.machine.gpu_driver);
  REQUIRE(a.machine.cuda_version == b.machine.cuda_version);
  REQUIRE(a.machine.cpu_threads == b.machine.cpu_threads);
  REQUIRE(a.seed == b.seed);
  REQUIRE(a.model == b.model);
  REQUIRE(a.contract_hashes == b.contract_hashes);
  REQUIRE(a.results.size() == b.results.size());
  for (std::size_t i = 0; i < a.results.size(); ++i) {
    const auto &x = a.results[i], &y = b.results[i];
    REQUIRE(x.id == y.id);
    REQUIRE(x.contract == y.contract);
    REQUIRE(x.backend == y.backend);
    REQUIRE(x.verdict == y.verdict);
    REQUIRE(x.message == y.message);
    REQUIRE(x.counterexample == y.counterexample);
    REQUIRE(x.reproduce == y.reproduce);
    REQUIRE(x.seed == y.seed);
    REQUIRE(same_number(x.seconds, y.seconds));
    REQUIRE(x.source_hashes == y.source_hashes);
    REQUIRE(x.measurements.size() == y.measurements.size());
    for (std::size_t k = 0; k < x.measurements.size(); ++k) {
      const auto &m = x.measurements[k], &n = y.measurements[k];
      REQUIRE(m.metric == n.metric);
      REQUIRE(same_number(m.value, n.value));
      REQUIRE(m.op == n.op);
      REQUIRE(same_number(m.threshold, n.threshold));
      REQUIRE(m.unit == n.unit);
      REQUIRE(m.passed == n.passed);
    }
  }
}
}  // namespace

TEST_CASE("evidence: JSON text round trip keeps every field") {
  EvidenceFile ev = testing::sample_evidence();
  std::string text = to_json_text(ev);
  REQUIRE(text.find("\"value\": null") != std::string::npos);  // NaN is written as null
  REQUIRE(text.find("\"inf\"") != std::string::npos);
  require_equal(ev, from_json_text(text, "mem"));
}

TEST_CASE("evidence: verdict names round trip and unknown names are rejected") {
  for (Verdict v : {Verdict::PASS, Verdict::FAIL, Verdict::SKIP, Verdict::ERROR, Verdict::CRASH, Verdict::TIMEOUT})
    REQUIRE(verdict_from_string(to_string(v)) == v);
  REQUIRE_THROWS_AS(verdict_from_string("pass"), EvidenceError);
}

TEST_CASE("evidence: write_atomic then read, no temporary file left behind") {
  fs::path dir = fs::temp_directory_path() / ("pv-evidence-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string path = (dir / "run.json").string();
  EvidenceFile ev = testing::sample_evidence();
  write_atomic(ev, path);
  ev.model = "second";
  write_atomic(ev, path);  // replaces the first
  require_equal(ev, read(path));
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file() ? 1 : 0;
  REQUIRE(files == 1);
  REQUIRE_THROWS_AS(write_atomic(ev, (dir / "no" / "such" / "dir.json").string()), EvidenceError);
  fs::remove_all(dir);
}

// Any double (NaN, infinities, subnormals, extremes) survives the text form bit for bit
// (up to NaN payloads, which JSON cannot carry).
TEST_CASE("evidence: any measurement value and seed round-trips") {
  rc::prop("value and seed survive JSON", [](double value, std::uint64_t seed, bool nan) {
    EvidenceFile ev = testing::sample_evidence();
    ev.results[0].measurements[0].value = nan ? std::nan("") : value;
    ev.results[0].seed = seed;
    EvidenceFile back = from_json_text(to_json_text(ev), "prop");
    RC_ASSERT(same_number(back.results[0].measurements[0].value, ev.results[0].measurements[0].value));
    RC_ASSERT(back.results[0].seed == seed);
  });
}

TEST_CASE("evidence: invalid UTF-8 in a message is replaced, never a write failure") {
  EvidenceFile ev = testing::sample_evidence();
  ev.results[0].message = "bytes \xff\xfe end";
  EvidenceFile back = from_json_text(to_json_text(ev), "utf8");
  REQUIRE(back.results[0].message == "bytes \xef\xbf\xbd\xef\xbf\xbd end");
}
