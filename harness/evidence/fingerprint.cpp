#include "harness/evidence/fingerprint.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "harness/evidence/evidence.hpp"

namespace pv::evidence {
namespace {

// %.17g round-trips a double exactly, so the text changes iff a number does.
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string canonical(const contract::FalsificationTest& t) {
  std::string s = "falsifier " + t.id + "\nkind " + contract::to_string(t.kind) + "\nbackends";
  for (auto b : t.backends) s += std::string(" ") + contract::to_string(b);
  std::vector<std::string> lines;
  for (const auto& th : t.thresholds) lines.push_back("threshold " + th.metric + " " + th.op + " " + number(th.value));
  for (const auto& [name, value] : t.parameters) lines.push_back("parameter " + name + " " + number(value));
  std::sort(lines.begin(), lines.end());
  for (const auto& l : lines) s += "\n" + l;
  return s + "\n";
}

}  // namespace

std::string contract_fingerprint(const contract::Contract& c) {
  std::vector<std::string> parts;
  for (const auto& t : c.falsification_tests) parts.push_back(canonical(t));
  std::sort(parts.begin(), parts.end());
  std::string text = "pv-contract-fingerprint 1\ncontract " + c.name + "\n";
  for (const auto& p : parts) text += p;
  return sha256_text(text);
}

}  // namespace pv::evidence
