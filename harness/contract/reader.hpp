#pragma once
// Typed, strict reads from the YAML tree. Every read that fails adds a finding (wrong-type,
// empty-value, bad-enum, unknown-key, duplicate-key, missing-key) and returns a default.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/contract/finding.hpp"
#include "harness/contract/schema.hpp"
#include "harness/contract/yaml_tree.hpp"

namespace pv::contract {

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  std::vector<Finding>& findings() { return findings_; }
  SourceLoc loc(const yaml::Node& n) const { return SourceLoc{file_, n.line, n.column}; }
  void error(const std::string& rule, const yaml::Node& at, std::string message, std::string hint);
  void warning(const std::string& rule, const yaml::Node& at, std::string message, std::string hint);

  // A mapping checked against its schema section: duplicate, unknown and missing keys are
  // reported here. `where` names the mapping in messages ("falsification_tests[2]").
  class Map {
   public:
    const yaml::Node* get(std::string_view key) const;
    const yaml::Node& node() const { return *node_; }
    const std::string& where() const { return where_; }
    const std::vector<std::pair<std::string, const yaml::Node*>>& entries() const { return entries_; }

   private:
    friend class Reader;
    const yaml::Node* node_ = nullptr;
    std::string where_;
    std::vector<std::pair<std::string, const yaml::Node*>> entries_;  // first occurrence of each key
  };

  // nullopt (with a wrong-type finding) when `n` is not a mapping.
  std::optional<Map> map(const yaml::Node& n, const schema::Section& section, const std::string& where);
  // Keys only (no schema): for maps whose keys are names (equations, parameters).
  std::optional<Map> open_map(const yaml::Node& n, const std::string& where);

  // Reads of an optional field: missing -> default. Required-ness is checked by map().
  std::string str(const Map& m, std::string_view key, bool required);
  std::vector<std::string> str_list(const Map& m, std::string_view key, bool required,
                                    std::vector<SourceLoc>* locs = nullptr);
  SourceLoc field_loc(const Map& m, std::string_view key) const;  // the value's position
  std::optional<double> number(const Map& m, std::string_view key);
  std::optional<double> number_node(const yaml::Node& n, const std::string& what);
  std::optional<std::string> enum_value(const Map& m, std::string_view key,
                                        const std::vector<std::string_view>& allowed);
  std::vector<const yaml::Node*> list(const Map& m, std::string_view key, bool required);

  // Field format check: adds `rule` at the field's node when `ok` is false.
  void check_format(const Map& m, std::string_view key, bool ok, const std::string& rule,
                    const std::string& what, const std::string& hint);

 private:
  std::string file_;
  std::vector<Finding> findings_;
};

std::string kind_name(const yaml::Node& n);
std::string clip(std::string_view value);  // a value as shown in a message (at most 80 bytes)
std::string did_you_mean(std::string_view key, const std::vector<std::string_view>& allowed);

}  // namespace pv::contract
