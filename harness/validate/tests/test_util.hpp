#pragma once
// Helpers shared by the validator tests.
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "harness/validate/validate.hpp"

namespace pv::validate::test {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::vector<std::string> rule_lines(const Report& r) {  // "rule@line", sorted
  std::vector<std::string> out;
  for (const auto& f : r.findings) out.push_back(f.rule + "@" + std::to_string(f.loc.line));
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

}  // namespace pv::validate::test
