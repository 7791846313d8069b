#pragma once
// A YAML node tree built from yaml-cpp's event API, so that every node keeps its line and
// column, duplicate keys stay visible (YAML::Load silently keeps one), and resource limits
// (nesting depth, alias expansion, size) are enforced while parsing instead of afterwards.
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/contract/finding.hpp"

namespace pv::contract::yaml {

struct Node;
using NodePtr = std::shared_ptr<const Node>;

struct Node {
  enum class Kind { null, scalar, sequence, mapping };
  Kind kind = Kind::null;
  int line = 0, column = 0;  // 1-based
  std::string value;         // scalars
  bool quoted = false;       // a quoted scalar is always a string, never a number
  std::vector<NodePtr> items;                       // sequences
  std::vector<std::pair<NodePtr, NodePtr>> pairs;   // mappings, in file order (duplicates kept)
};

struct Limits {
  std::size_t max_bytes = 1 << 20;         // 1 MiB; the largest real contract seen is 83 KB
  int max_depth = 64;                      // contracts nest 5 levels deep
  std::size_t max_expanded_nodes = 200000; // alias bombs expand exponentially; cap the total
};

struct ParseResult {
  NodePtr root;  // null when the file could not be parsed
  std::vector<Finding> findings;
};

// Parses `text` (the contents of `file`). Never throws; every problem becomes a finding.
ParseResult parse(const std::string& text, const std::string& file, const Limits& limits = {});

// Checks that `text` is UTF-8 and not binary; returns the offending findings (none when fine).
std::vector<Finding> check_encoding(const std::string& text, const std::string& file);

}  // namespace pv::contract::yaml
