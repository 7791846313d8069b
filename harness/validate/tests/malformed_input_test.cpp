// Hostile input never crashes or hangs the loader: each kind gets its finding.
#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <string>

#include "harness/contract/loader.hpp"
#include "harness/validate/tests/test_util.hpp"

using pv::contract::load_contract_text;
using pv::contract::LoadResult;

namespace {

bool has_rule(const LoadResult& r, const std::string& rule) {
  for (const auto& f : r.findings)
    if (f.rule == rule) return true;
  return false;
}

const std::string kValid = PV_SOURCE_DIR "/contracts/moe-router-v1.yaml";

}  // namespace

TEST_CASE("validate: a file over 1 MiB is refused before parsing", "[validate][malformed]") {
  std::string huge = "description: |\n" + std::string(2 << 20, 'x') + "\n";
  auto r = load_contract_text(huge, "huge.yaml");
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].rule == "file-too-large");
  CHECK(!r.contract);
}

TEST_CASE("validate: an unreadable path is an io-error and marks the report", "[validate][malformed]") {
  auto report = pv::validate::validate_paths({"/nonexistent/dir/contract.yaml"}, {});
  REQUIRE(report.findings.size() == 1);
  CHECK(report.findings[0].rule == "io-error");
  CHECK(report.io_failed);
  auto file = pv::contract::load_contract_file("/nonexistent.yaml");
  CHECK(has_rule(file, "io-error"));
}

TEST_CASE("validate: very deep nesting stops at the depth limit", "[validate][malformed]") {
  std::string flow = "a: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  CHECK(has_rule(load_contract_text(flow, "flow.yaml"), "yaml-too-deep"));
  std::string block;
  for (int i = 0; i < 200; ++i) block += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  CHECK(has_rule(load_contract_text(block, "block.yaml"), "yaml-too-deep"));
  std::string flow_maps = "a: ";
  for (int i = 0; i < 5000; ++i) flow_maps += "{a: ";
  flow_maps += "1" + std::string(5000, '}') + "\n";
  CHECK(has_rule(load_contract_text(flow_maps, "maps.yaml"), "yaml-too-deep"));
}

TEST_CASE("validate: an alias bomb is stopped while parsing", "[validate][malformed]") {
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 30; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", " : "") + prev;
    bomb += "]\n";
  }
  CHECK(has_rule(load_contract_text(bomb, "bomb.yaml"), "yaml-alias"));
}

TEST_CASE("validate: binary, non-UTF-8 and empty files get their finding", "[validate][malformed]") {
  CHECK(has_rule(load_contract_text(std::string("\x7f" "ELF\x02\x01\x01\0\0", 9), "a.out"), "file-binary"));
  CHECK(has_rule(load_contract_text("name: \xff\xfe\n", "x.yaml"), "file-not-utf8"));
  CHECK(has_rule(load_contract_text("name: \xed\xa0\x80\n", "surrogate.yaml"), "file-not-utf8"));
  CHECK(has_rule(load_contract_text("name: \xc0\xaf\n", "overlong.yaml"), "file-not-utf8"));
  CHECK(has_rule(load_contract_text("", "empty.yaml"), "file-empty"));
  CHECK(has_rule(load_contract_text("\n# only a comment\n---\n", "comment.yaml"), "file-empty"));
  CHECK(has_rule(load_contract_text("~\n", "null.yaml"), "file-empty"));
  // Valid UTF-8 beyond ASCII is fine.
  auto ok = load_contract_text("name: \xe2\x88\x80 token \xce\xa3\n", "utf8.yaml");
  CHECK(!has_rule(ok, "file-not-utf8"));
}

TEST_CASE("validate: every prefix of a valid contract loads without throwing", "[validate][malformed]") {
  std::string text = pv::validate::test::read_file(kValid);
  REQUIRE(text.size() > 1000);
  for (std::size_t n = 0; n < text.size(); n += 7) {
    auto r = load_contract_text(text.substr(0, n), "prefix.yaml");
    if (n < text.size()) CHECK((!r.findings.empty() || n == 0 || r.contract));
  }
  auto full = load_contract_text(text, "moe-router-v1.yaml");
  CHECK(full.ok());
}

TEST_CASE("validate: arbitrary bytes never throw", "[validate][malformed][property]") {
  rc::prop("load_contract_text is total", [](const std::string& s) {
    auto r = load_contract_text(s, "random.yaml");
    RC_ASSERT(r.contract.has_value() || !r.findings.empty());
  });
  std::string base = pv::validate::test::read_file(kValid);
  rc::prop("byte edits of a valid contract never throw", [&base](std::size_t pos, char c) {
    std::string s = base;
    s[pos % s.size()] = c;
    auto r = load_contract_text(s, "edited.yaml");
    RC_ASSERT(r.contract.has_value() || !r.findings.empty());
  });
}

TEST_CASE("validate: huge values are clipped in messages", "[validate][malformed]") {
  std::string text = "kind: " + std::string(100000, 'x') + "\n" + std::string(50000, 'y') + ": 1\n";
  auto r = load_contract_text(text, "clip.yaml");
  REQUIRE(!r.findings.empty());
  for (const auto& f : r.findings) CHECK(f.message.size() < 400);
}
