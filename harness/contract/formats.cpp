#include "harness/contract/formats.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace pv::contract::formats {
namespace {
// Hand-written matchers, not std::regex: libstdc++'s regex recurses per character and can
// overflow the stack on long hostile input, and a validator must never crash.

bool all_of(std::string_view s, bool (*pred)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}
bool upper_digit(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool lower_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool ident(char c) { return lower_digit(c) || (c >= 'A' && c <= 'Z') || c == '-'; }

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// PREFIX<sep>SEG<sep>SEG...: every segment matches `pred`; at least `min_segments` of them;
// with `numbered`, the last one is exactly three digits.
bool segmented(std::string_view s, std::string_view prefix, char sep, std::size_t min_segments,
               bool numbered, bool (*pred)(char)) {
  if (s.size() <= prefix.size() || s.substr(0, prefix.size()) != prefix) return false;
  auto parts = split(s.substr(prefix.size()), sep);
  if (parts.size() < min_segments) return false;
  for (auto p : parts)
    if (!all_of(p, pred)) return false;
  return !numbered || (parts.back().size() == 3 && all_of(parts.back(), digit));
}

bool number_part(std::string_view s) {  // 0 or no leading zero
  return all_of(s, digit) && (s.size() == 1 || s[0] != '0');
}

}  // namespace

bool is_falsifier_id(std::string_view s) { return segmented(s, "FALSIFY-", '-', 2, true, upper_digit); }
bool is_obligation_id(std::string_view s) { return segmented(s, "AC_", '_', 2, true, upper_digit); }
bool is_qa_gate_id(std::string_view s) { return segmented(s, "QA-", '-', 1, false, upper_digit); }
bool is_kani_id(std::string_view s) { return segmented(s, "KANI-", '-', 2, true, upper_digit); }
bool is_contract_name(std::string_view s) { return segmented("-" + std::string(s), "-", '-', 1, false, lower_digit); }

bool is_stage_id(std::string_view s) {
  auto dot = s.find('.');
  if (!segmented(s.substr(0, dot), "M-", '-', 1, false, upper_digit)) return false;
  if (dot == std::string_view::npos) return true;
  for (auto p : split(s.substr(dot + 1), '.'))
    if (!all_of(p, digit)) return false;
  return true;
}

bool is_metric_name(std::string_view s) {
  if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return lower_digit(c) || c == '_'; });
}

bool is_semver(std::string_view s) {
  // semver.org 2.0.0: MAJOR.MINOR.PATCH without leading zeros, optional -pre.release and +build.
  auto plus = s.find('+');
  if (plus != std::string_view::npos) {
    for (auto p : split(s.substr(plus + 1), '.'))
      if (!all_of(p, ident)) return false;
    s = s.substr(0, plus);
  }
  auto dash = s.find('-');
  if (dash != std::string_view::npos) {
    for (auto p : split(s.substr(dash + 1), '.'))
      if (!all_of(p, ident)) return false;
    s = s.substr(0, dash);
  }
  auto core = split(s, '.');
  return core.size() == 3 && number_part(core[0]) && number_part(core[1]) && number_part(core[2]);
}

bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    auto part = s.substr(pos, len);
    if (!all_of(part, digit)) return false;
    out = std::stoi(std::string(part));
    return true;
  };
  int y = 0, mo = 0, d = 0;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d)) return false;
  if (mo < 1 || mo > 12 || d < 1) return false;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[mo - 1] + (mo == 2 && leap ? 1 : 0);
}

std::optional<std::string> map_foreign_status(std::string_view word) {
  std::string w(word);
  std::transform(w.begin(), w.end(), w.begin(), [](unsigned char c) { return std::toupper(c); });
  std::replace(w.begin(), w.end(), '-', '_');
  std::replace(w.begin(), w.end(), ' ', '_');
  if (w == "PENDING" || w == "PARTIAL" || w == "SHIPPED") return w;  // right word, wrong case
  // Partial words first: PARTIALLY_DISCHARGED must not match the DISCHARGED rule below.
  static const std::vector<std::string> partial = {"PARTIAL", "IN_PROGRESS", "WIP", "STARTED",
                                                   "ALGORITHM_LEVEL", "ACTIVE_ALGORITHM", "ONGOING"};
  static const std::vector<std::string> shipped = {"DISCHARGED", "DONE", "COMPLETE", "ACTIVE_RUNTIME",
                                                   "VERIFIED", "PASSED", "PASS", "RELEASED", "FINISHED"};
  static const std::vector<std::string> pending = {"BLOCKED", "TODO", "NOT_STARTED", "PLANNED", "DRAFT",
                                                   "OPEN", "DEFERRED", "PROPOSED", "UNSTARTED", "NEW"};
  auto has = [&](const std::vector<std::string>& words) {
    return std::any_of(words.begin(), words.end(), [&](const std::string& k) {
      return w.find(k) != std::string::npos;
    });
  };
  if (has(partial)) return std::string("PARTIAL");
  if (has(shipped)) return std::string("SHIPPED");
  if (has(pending)) return std::string("PENDING");
  return std::nullopt;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace pv::contract::formats
