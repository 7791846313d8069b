// The invalid-contract corpus: every file in invalid/ states on its first line which findings
// it must produce, as `# expect: rule@line ...`, and optionally on its second line which
// falsifier implementations exist, as `# options: implemented=ID,ID [orphans]`. The findings
// must match exactly: no missing and no extra ones.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "harness/validate/rules.hpp"
#include "harness/validate/tests/test_util.hpp"

namespace fs = std::filesystem;
using namespace pv::validate;

namespace {

const std::string kDir = PV_SOURCE_DIR "/harness/validate/tests/invalid";

struct Case {
  std::string path;
  std::vector<std::string> expected;  // sorted rule@line
  Options options;
};

Case parse_case(const std::string& path) {
  Case c;
  c.path = path;
  std::string text = test::read_file(path);
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  REQUIRE(line.rfind("# expect:", 0) == 0);
  c.expected = test::words(line.substr(9));
  std::sort(c.expected.begin(), c.expected.end());
  if (std::getline(in, line) && line.rfind("# options:", 0) == 0) {
    c.options.implemented = std::set<std::string>{};
    for (const auto& w : test::words(line.substr(10))) {
      if (w == "orphans") c.options.check_orphans = true;
      if (w.rfind("implemented=", 0) == 0) {
        std::string ids = w.substr(12);
        for (std::size_t start = 0; start < ids.size();) {
          std::size_t comma = ids.find(',', start);
          if (comma == std::string::npos) comma = ids.size();
          c.options.implemented->insert(ids.substr(start, comma - start));
          start = comma + 1;
        }
      }
    }
  }
  return c;
}

std::vector<std::string> corpus_files() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kDir))
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("validate: every invalid contract gives exactly its expected findings", "[validate][corpus]") {
  auto files = corpus_files();
  REQUIRE(files.size() >= 40);
  for (const auto& path : files) {
    Case c = parse_case(path);
    Report r = validate_sources({{path, test::read_file(path)}}, c.options);
    INFO("file: " << path << "\nreproduce: build/harness/cli/pv validate " << path);
    CHECK(test::rule_lines(r) == c.expected);
  }
}

TEST_CASE("validate: every rule has an invalid-contract case (or a dedicated test)", "[validate][corpus]") {
  std::set<std::string> covered = {"file-too-large", "io-error"};  // malformed_input_test.cpp
  for (const auto& path : corpus_files())
    for (const auto& e : parse_case(path).expected) covered.insert(e.substr(0, e.find('@')));
  for (const auto& rule : rules()) {
    INFO("rule without a case in harness/validate/tests/invalid/: " << rule.id);
    CHECK(covered.count(std::string(rule.id)) == 1);
  }
  for (const auto& id : covered) {
    INFO("expected rule that is not in the catalogue: " << id);
    CHECK(find_rule(id) != nullptr);
  }
}

TEST_CASE("validate: findings carry the severity of their rule, a message and a hint", "[validate][corpus]") {
  for (const auto& path : corpus_files()) {
    Case c = parse_case(path);
    Report r = validate_sources({{path, test::read_file(path)}}, c.options);
    for (const auto& f : r.findings) {
      INFO(path << ": " << f.rule);
      const Rule* rule = find_rule(f.rule);
      REQUIRE(rule != nullptr);
      CHECK(rule->severity == f.severity);
      CHECK(!f.message.empty());
      CHECK(!f.hint.empty());
    }
  }
}

TEST_CASE("validate: unknown keys suggest the key that was meant", "[validate]") {
  std::string path = kDir + "/unknown-key-misspelt-falsifiers.yaml";
  Report r = validate_sources({{path, test::read_file(path)}}, {});
  auto it = std::find_if(r.findings.begin(), r.findings.end(), [](const Finding& f) { return f.rule == "unknown-key"; });
  REQUIRE(it != r.findings.end());
  CHECK(it->hint.find("did you mean 'falsification_tests'") != std::string::npos);
}

TEST_CASE("validate: foreign status words name the status they map to", "[validate]") {
  std::string path = kDir + "/foreign-status-active-runtime.yaml";
  Report r = validate_sources({{path, test::read_file(path)}}, {});
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].message.find("maps to SHIPPED") != std::string::npos);
  CHECK(r.findings[0].hint.find("status: SHIPPED") != std::string::npos);
}
