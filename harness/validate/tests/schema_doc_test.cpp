// The documentation and the JSON Schema say what the loader does.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <set>

#include "harness/contract/schema.hpp"
#include "harness/validate/rules.hpp"
#include "harness/validate/tests/test_util.hpp"

using namespace pv::validate;
namespace schema = pv::contract::schema;

TEST_CASE("validate: SCHEMA.md documents every rule", "[validate][docs]") {
  std::string doc = test::read_file(PV_SOURCE_DIR "/contracts/SCHEMA.md");
  REQUIRE(!doc.empty());
  for (const auto& r : rules()) {
    INFO("rule missing from contracts/SCHEMA.md: " << r.id);
    CHECK(doc.find("| `" + std::string(r.id) + "` |") != std::string::npos);
  }
}

namespace {

const nlohmann::json& at_path(const nlohmann::json& root, const nlohmann::json& node) {
  if (node.contains("$ref")) {
    std::string ref = node["$ref"].get<std::string>();  // "#/definitions/name"
    return root["definitions"][ref.substr(ref.rfind('/') + 1)];
  }
  return node;
}

std::set<std::string> keys_of(const nlohmann::json& obj) {
  std::set<std::string> out;
  for (const auto& [k, v] : obj["properties"].items()) out.insert(k);
  return out;
}

std::set<std::string> as_set(const std::vector<std::string_view>& v) { return {v.begin(), v.end()}; }

}  // namespace

TEST_CASE("validate: the JSON Schema lists the loader's keys and required keys", "[validate][docs]") {
  auto root = nlohmann::json::parse(test::read_file(PV_SOURCE_DIR "/contracts/schema/pv-contract.schema.json"));
  std::map<std::string, const nlohmann::json*> defs = {{"contract", &root}};
  for (const auto& s : schema::sections()) {
    if (s.name == "contract") continue;
    std::string def(s.name);
    for (const char* suffix : {"[]", ".*"})
      if (def.size() > 2 && def.substr(def.size() - 2) == suffix) def.resize(def.size() - 2);
    INFO("JSON Schema definitions lacks " << def);
    REQUIRE(root["definitions"].contains(def));
    defs[std::string(s.name)] = &root["definitions"][def];
  }
  for (const auto& s : schema::sections()) {
    const auto& obj = at_path(root, *defs[std::string(s.name)]);
    INFO("section " << s.name);
    CHECK(keys_of(obj) == as_set(s.keys));
    std::set<std::string> required;
    if (obj.contains("required"))
      for (const auto& r : obj["required"]) required.insert(r.get<std::string>());
    CHECK(required == as_set(s.required));
    CHECK(obj["additionalProperties"] == false);
  }
}
