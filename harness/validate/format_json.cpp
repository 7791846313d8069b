#include <nlohmann/json.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <map>

#include "harness/validate/format.hpp"
#include "harness/validate/rules.hpp"

namespace pv::validate {

// {"files": [...], "errors": N, "warnings": M, "findings": [{rule, severity, file, line,
// column, message, hint}]}. Invalid UTF-8 in messages is replaced, never thrown on.
std::string format_json(const Report& r) {
  nlohmann::json j;
  j["files"] = r.files;
  j["errors"] = r.errors();
  j["warnings"] = r.warnings();
  j["findings"] = nlohmann::json::array();
  for (const auto& f : r.findings)
    j["findings"].push_back({{"rule", f.rule}, {"severity", to_string(f.severity)}, {"file", f.loc.file},
                             {"line", f.loc.line}, {"column", f.loc.column}, {"message", f.message},
                             {"hint", f.hint}});
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

namespace {
// SARIF locations are URIs: relative paths stay relative (to the checkout, as code scanning
// expects); absolute ones become file:// URIs. Characters outside the URI set are %-encoded.
std::string uri(const std::string& path) {
  std::string out = !path.empty() && path[0] == '/' ? "file://" : "";
  for (unsigned char c : path) {
    if (std::isalnum(c) || std::string_view("/-._~").find(static_cast<char>(c)) != std::string_view::npos)
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}
}  // namespace

// SARIF 2.1.0 with one run, the whole rule catalogue and a result per finding.
std::string format_sarif(const Report& r, const std::string& tool_version) {
  nlohmann::json rules = nlohmann::json::array();
  std::map<std::string, std::size_t> index;
  for (const auto& rule : validate::rules()) {
    index[std::string(rule.id)] = rules.size();
    rules.push_back({{"id", rule.id},
                     {"shortDescription", {{"text", rule.summary}}},
                     {"help", {{"text", "Documented in contracts/SCHEMA.md under the rule ID."}}},
                     {"defaultConfiguration", {{"level", to_string(rule.severity)}}}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& f : r.findings) {
    nlohmann::json res = {{"ruleId", f.rule},
                          {"level", to_string(f.severity)},
                          {"message", {{"text", f.message + " (hint: " + f.hint + ")"}}}};
    if (auto it = index.find(f.rule); it != index.end()) res["ruleIndex"] = it->second;
    if (f.loc.line > 0) {
      res["locations"] = nlohmann::json::array(
          {{{"physicalLocation",
             {{"artifactLocation", {{"uri", uri(f.loc.file)}}},
              {"region", {{"startLine", f.loc.line}, {"startColumn", std::max(1, f.loc.column)}}}}}}});
    }
    results.push_back(std::move(res));
  }
  nlohmann::json sarif = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       nlohmann::json::array({{{"tool",
                                {{"driver",
                                  {{"name", "pv validate"},
                                   {"version", tool_version},
                                   {"rules", rules}}}}},
                               {"results", results}}})}};
  return sarif.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace pv::validate
