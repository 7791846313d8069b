// Our own contracts: valid, warning-free, and declaring exactly the falsifiers and stages of
// falsifiers/SUITE.md.
#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "harness/validate/format.hpp"
#include "harness/validate/tests/test_util.hpp"

using namespace pv::validate;

namespace {

std::set<std::string> suite_ids(const std::string& pattern) {
  std::string text = test::read_file(PV_SOURCE_DIR "/falsifiers/SUITE.md");
  std::set<std::string> out;
  std::regex re(pattern);
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) out.insert((*it)[1].str());
  return out;
}

}  // namespace

TEST_CASE("validate: contracts/ is valid with no warnings", "[validate][contracts]") {
  Options options;
  Report first = validate_paths({PV_SOURCE_DIR "/contracts"}, options);
  REQUIRE(first.files.size() == 7);
  // Declare every falsifier implemented, so the implementation checks run without depending on
  // which falsifiers this build links; orphan checks then must find nothing either.
  std::set<std::string> declared;
  for (const auto& c : first.contracts)
    for (const auto& f : c.falsification_tests) declared.insert(f.id);
  options.implemented = declared;
  options.check_orphans = true;
  Report r = validate_paths({PV_SOURCE_DIR "/contracts"}, options);
  INFO(format_text(r));
  CHECK(r.errors() == 0);
  CHECK(r.warnings() == 0);
  CHECK(r.contracts.size() == 7);
}

TEST_CASE("validate: contracts declare exactly the falsifiers and stages of SUITE.md", "[validate][contracts]") {
  Report r = validate_paths({PV_SOURCE_DIR "/contracts"}, {});
  std::set<std::string> falsifiers, stages;
  for (const auto& c : r.contracts) {
    for (const auto& f : c.falsification_tests) falsifiers.insert(f.id);
    // Statuses are not pinned here: they follow the evidence, and `pv report --check` (run by
    // ci/test.sh on reports/evidence/) fails any stage that claims more than it shows.
    for (const auto& s : c.implementation_stages) stages.insert(s.id);
  }
  CHECK(falsifiers == suite_ids("\\| (FALSIFY-[A-Z0-9-]+) \\|"));
  CHECK(stages == suite_ids("\\| (M-[A-Z0-9-]+)[ |]"));
}

TEST_CASE("validate: the forward contracts depend on their parts", "[validate][contracts]") {
  Report r = validate_paths({PV_SOURCE_DIR "/contracts"}, {});
  for (const auto& c : r.contracts) {
    if (c.name == "qwen3-moe-forward-v1")
      CHECK(c.metadata.depends_on == std::vector<std::string>{"moe-router-v1", "moe-expert-dispatch-v1", "swiglu-v1",
                                                              "q4k-q6k-superblock-v1", "gguf-loader-v1"});
    if (c.name == "qwen3-moe-forward-gpu-v1")
      CHECK(c.metadata.depends_on == std::vector<std::string>{"qwen3-moe-forward-v1"});
  }
}
