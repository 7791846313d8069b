// Malformed, foreign and mistyped evidence files are rejected with an error naming the file and
// the JSON path of the bad value; the fixtures live in fixtures/.
#include <catch2/catch.hpp>

#include "harness/evidence/evidence.hpp"

using namespace pv::evidence;

namespace {
std::string fixture(const std::string& name) {
  return std::string(PV_SOURCE_DIR) + "/harness/evidence/tests/fixtures/" + name;
}

// Reads a fixture that must fail and returns the error text.
std::string read_error(const std::string& name) {
  try {
    read(fixture(name));
  } catch (const EvidenceError& e) {
    return e.what();
  }
  FAIL("reading fixtures/" << name << " did not throw");
  return "";
}
}  // namespace

TEST_CASE("evidence errors: the valid fixture reads") {
  EvidenceFile ev = read(fixture("valid.json"));
  REQUIRE(ev.results.size() == 1);
  REQUIRE(ev.results[0].verdict == Verdict::PASS);
  REQUIRE(ev.results[0].message.empty());  // optional string fields default to ""
}

TEST_CASE("evidence errors: each bad fixture names file and JSON path") {
  struct Case {  // fixture file and the message part after its name
    const char* file;
    const char* expect;  // substring of the message after the file name
  } cases[] = {
      {"malformed.json", "not valid JSON"},
      {"empty.json", "not valid JSON"},
      {"foreign.json", "$.format: not a pv evidence file"},
      {"not_object.json", "$: not a pv evidence file: expected a JSON object, got an array"},
      {"wrong_version.json", "$.version: pv-evidence version 2 is not supported"},
      {"wrong_type_seconds.json", "$.results[0].seconds: expected a number"},
      {"wrong_type_value.json", "$.results[0].measurements[0].value: expected a number, null"},
      {"wrong_verdict.json", "$.results[0].verdict: unknown verdict 'GREEN'"},
      {"wrong_seed.json", "$.seed: expected a non-negative integer"},
      {"bad_hash.json", "$.results[0].source_hashes[\"engine/cpu\"]: 'E3B0"},
      {"unknown_field.json", "$.extra: unknown field"},
      {"missing_field.json", "$.machine: missing required field 'cpu_threads'"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    std::string msg = read_error(c.file);
    CHECK(msg.find(fixture(c.file)) == 0);
    CHECK(msg.find(c.expect) != std::string::npos);
  }
}

TEST_CASE("evidence errors: a JSON syntax error gives line and column") {
  std::string msg;
  try {
    from_json_text("{\n  \"format\": \"pv-evidence\",\n  \"version\": 1,,\n}", "x.json");
  } catch (const EvidenceError& e) {
    msg = e.what();
  }
  REQUIRE(msg.rfind("x.json:3:", 0) == 0);
}

TEST_CASE("evidence errors: missing file and directory") {
  REQUIRE_THROWS_WITH(read(fixture("no-such-file.json")), Catch::Contains("cannot open"));
  REQUIRE_THROWS_WITH(read(fixture("")), Catch::Contains("is a directory"));
}

TEST_CASE("evidence errors: deeply nested input is an error, not a crash") {
  std::string deep(100000, '[');
  REQUIRE_THROWS_AS(from_json_text(deep, "deep.json"), EvidenceError);
  std::string closed = deep + std::string(100000, ']');
  REQUIRE_THROWS_AS(from_json_text(closed, "deep.json"), EvidenceError);
}

TEST_CASE("evidence errors: numbers too large and huge strings are clean errors") {
  std::string text = pv::evidence::to_json_text(pv::evidence::EvidenceFile{});
  REQUIRE_THROWS_WITH(from_json_text("{\"format\": \"pv-evidence\", \"version\": 1e999}", "big.json"),
                      Catch::StartsWith("big.json: not valid JSON"));
  // Timestamps: offsets and fractions accepted, anything else rejected.
  auto with_time = [&](const std::string& t) {
    std::string s = text;
    auto at = s.find("\"started\": \"\"");
    s.replace(at, 13, "\"started\": \"" + t + "\"");
    at = s.find("\"finished\": \"\"");
    s.replace(at, 14, "\"finished\": \"2025-01-01T00:00:00Z\"");
    return s;
  };
  REQUIRE_NOTHROW(from_json_text(with_time("2025-01-31T12:00:00.125+05:30"), "t"));
  REQUIRE_THROWS_WITH(from_json_text(with_time(std::string(4 << 20, '2')), "huge.json"), Catch::Contains("$.started"));
  for (const char* bad : {"2025-01-31 12:00:00Z", "2025-01-31T12:00:00", "2025-01-31T12:00:00.Z", "2025-1-31T12:00:00Z"})
    REQUIRE_THROWS_WITH(from_json_text(with_time(bad), "t"), Catch::Contains("$.started") && Catch::Contains("ISO 8601"));
}
