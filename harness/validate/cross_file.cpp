#include "harness/validate/cross_file.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

namespace pv::validate {
namespace {

using contract::Contract;
using contract::SourceLoc;

void add(std::vector<Finding>& out, std::string rule, Severity sev, SourceLoc loc, std::string msg, std::string hint) {
  out.push_back(Finding{std::move(rule), sev, std::move(loc), std::move(msg), std::move(hint)});
}

std::string where(const SourceLoc& l) { return fmt::format("{}:{}", l.file, l.line); }

// The number a qa_gate's pass criteria promise, e.g. "All 7 falsification tests pass" -> 7:
// the first whole number directly followed by a word starting with "falsif", or one that
// follows "All". nullopt when the text promises no count.
std::optional<std::size_t> promised_count(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])) || (i > 0 && std::isalnum(static_cast<unsigned char>(text[i - 1]))))
      continue;
    std::size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j - i > 6) return std::nullopt;
    std::size_t n = std::stoul(text.substr(i, j - i));
    std::size_t k = text.find_first_not_of(' ', j);
    std::string next = k == std::string::npos ? "" : text.substr(k, 6);
    std::transform(next.begin(), next.end(), next.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string before = text.substr(i >= 4 ? i - 4 : 0, i >= 4 ? 4 : i);
    std::transform(before.begin(), before.end(), before.begin(), [](unsigned char c) { return std::tolower(c); });
    if (next == "falsif" || before == "all ") return n;
  }
  return std::nullopt;
}

}  // namespace

void check_names(const Contract& c, std::vector<Finding>& out) {
  std::string stem = std::filesystem::path(c.path).stem().string();
  if (!c.name.empty() && c.name != stem)
    add(out, "name-file-mismatch", Severity::warning, c.loc,
        fmt::format("contract name '{}' differs from its file name '{}'", c.name, stem),
        fmt::format("rename the file to {}.yaml or the contract to '{}', so depends_on names find files", c.name, stem));
}

void check_references(const std::vector<Contract>& all, std::vector<Finding>& out) {
  std::map<std::string, const Contract*> owner;  // obligation ID -> declaring contract
  for (const auto& c : all)
    for (const auto& o : c.proof_obligations) owner.emplace(o.id, &c);
  auto check = [&](const Contract& c, const std::string& id, const SourceLoc& loc, const std::string& who) {
    if (id.empty() || c.obligation(id) != nullptr) return;
    auto it = owner.find(id);
    std::string hint = it != owner.end()
                           ? fmt::format("{} is declared in contract '{}'; name only obligations of this contract",
                                         id, it->second->name)
                           : fmt::format("declare {} under proof_obligations or fix the ID", id);
    add(out, "unknown-obligation", Severity::error, loc,
        fmt::format("{} names obligation {}, which contract '{}' does not declare", who, id, c.name), hint);
  };
  for (const auto& c : all) {
    for (const auto& s : c.implementation_stages)
      for (std::size_t i = 0; i < s.expected_acceptance.size(); ++i)
        check(c, s.expected_acceptance[i], i < s.expected_acceptance_locs.size() ? s.expected_acceptance_locs[i] : s.loc,
              fmt::format("stage {}", s.id));
    for (const auto& f : c.falsification_tests)
      for (std::size_t i = 0; i < f.discharges.size(); ++i)
        check(c, f.discharges[i], i < f.discharges_locs.size() ? f.discharges_locs[i] : f.loc,
              fmt::format("falsifier {}", f.id));
    for (const auto& k : c.kani_harnesses) check(c, k.obligation, k.obligation_loc, fmt::format("Kani harness {}", k.id));
  }
}

void check_unique_ids(const std::vector<Contract>& all, std::vector<Finding>& out) {
  std::map<std::string, SourceLoc> seen;
  auto see = [&](const std::string& id, const SourceLoc& loc, const char* what) {
    if (id.empty()) return;
    auto [it, fresh] = seen.emplace(id, loc);
    if (!fresh)
      add(out, "duplicate-id", Severity::error, loc,
          fmt::format("{} '{}' is already declared at {}", what, id, where(it->second)),
          "IDs are unique across all contracts: rename one of them");
  };
  for (const auto& c : all) {
    see(c.name, c.loc, "contract name");
    for (const auto& o : c.proof_obligations) see(o.id, o.loc, "obligation");
    for (const auto& s : c.implementation_stages) see(s.id, s.loc, "stage");
    for (const auto& f : c.falsification_tests) see(f.id, f.loc, "falsifier");
    if (c.qa_gate) see(c.qa_gate->id, c.qa_gate->loc, "qa_gate");
    for (const auto& k : c.kani_harnesses) see(k.id, k.loc, "Kani harness");
    std::map<std::string, SourceLoc> metrics;
    for (const auto& f : c.falsification_tests) {
      metrics.clear();
      for (const auto& t : f.thresholds) {
        auto [it, fresh] = metrics.emplace(t.metric, t.loc);
        if (!fresh && !t.metric.empty())
          add(out, "duplicate-id", Severity::error, t.loc,
              fmt::format("falsifier {} has two thresholds on metric '{}' (first at {})", f.id, t.metric, where(it->second)),
              "keep one threshold per metric");
      }
    }
  }
}

void check_dependencies(const std::vector<Contract>& all, std::vector<Finding>& out) {
  std::map<std::string, const Contract*> by_name;
  for (const auto& c : all) by_name.emplace(c.name, &c);
  for (const auto& c : all)
    for (std::size_t i = 0; i < c.metadata.depends_on.size(); ++i) {
      const auto& dep = c.metadata.depends_on[i];
      if (by_name.count(dep) == 0)
        add(out, "unresolved-dependency", Severity::error,
            i < c.metadata.depends_on_locs.size() ? c.metadata.depends_on_locs[i] : c.metadata.loc,
            fmt::format("contract '{}' depends on '{}', which is not among the files given", c.name, dep),
            "validate the directory holding every contract, or fix the name");
    }
  // Depth-first search; a back edge closes a cycle, reported once from its smallest name.
  std::map<std::string, int> state;  // 0 new, 1 on the stack, 2 done
  std::vector<std::string> stack;
  std::set<std::string> reported;
  std::function<void(const Contract&)> visit = [&](const Contract& c) {
    state[c.name] = 1;
    stack.push_back(c.name);
    for (std::size_t i = 0; i < c.metadata.depends_on.size(); ++i) {
      auto it = by_name.find(c.metadata.depends_on[i]);
      if (it == by_name.end()) continue;
      const std::string& dep = it->first;
      if (state[dep] == 1) {
        std::vector<std::string> cycle(std::find(stack.begin(), stack.end(), dep), stack.end());
        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
        std::string text = fmt::format("{} -> {}", fmt::join(cycle, " -> "), cycle.front());
        if (reported.insert(text).second)
          add(out, "dependency-cycle", Severity::error,
              i < c.metadata.depends_on_locs.size() ? c.metadata.depends_on_locs[i] : c.metadata.loc,
              fmt::format("dependency cycle: {}", text), "remove one depends_on entry of the cycle");
      } else if (state[dep] == 0) {
        visit(*it->second);
      }
    }
    stack.pop_back();
    state[c.name] = 2;
  };
  for (const auto& [name, c] : by_name)
    if (state[name] == 0) visit(*c);
}

void check_coverage(const Contract& c, std::vector<Finding>& out) {
  for (const auto& o : c.proof_obligations) {
    bool discharged = std::any_of(c.falsification_tests.begin(), c.falsification_tests.end(), [&](const auto& f) {
      return std::find(f.discharges.begin(), f.discharges.end(), o.id) != f.discharges.end();
    });
    if (!discharged && !o.id.empty())
      add(out, "undischarged-obligation", Severity::warning, o.loc,
          fmt::format("no falsifier discharges obligation {}", o.id),
          "add a falsification test with `discharges: [" + o.id + "]`, or remove the obligation");
  }
  for (const auto& s : c.implementation_stages)
    for (auto b : s.backends)
      for (const auto& id : s.expected_acceptance) {
        if (c.obligation(id) == nullptr) continue;  // reported as unknown-obligation
        bool covered = std::any_of(c.falsification_tests.begin(), c.falsification_tests.end(), [&](const auto& f) {
          bool on_b = f.kind == contract::FalsifierKind::external ||
                      std::find(f.backends.begin(), f.backends.end(), b) != f.backends.end();
          return on_b && std::find(f.discharges.begin(), f.discharges.end(), id) != f.discharges.end();
        });
        if (!covered)
          add(out, "stage-backend-uncovered", Severity::warning, s.loc,
              fmt::format("stage {} needs backend {}, but no falsifier checks {} on {}", s.id, to_string(b), id, to_string(b)),
              fmt::format("add {} to the backends of a falsifier that discharges {}, or drop it from the stage", to_string(b), id));
      }
  if (c.qa_gate) {
    auto n = promised_count(c.qa_gate->pass_criteria);
    if (n && *n != c.falsification_tests.size())
      add(out, "qa-gate-count", Severity::warning, c.qa_gate->pass_criteria_loc,
          fmt::format("qa_gate pass criteria count {} falsifiers, but the contract declares {}", *n,
                      c.falsification_tests.size()),
          "update pass_criteria to the real number of falsification tests");
  }
}

void check_implementations(const std::vector<Contract>& all, const Options& options, std::vector<Finding>& out) {
  if (!options.implemented) return;
  std::set<std::string> declared;
  for (const auto& c : all)
    for (const auto& f : c.falsification_tests) {
      declared.insert(f.id);
      if (f.id.empty() || f.kind == contract::FalsifierKind::external || options.implemented->count(f.id)) continue;
      add(out, "unimplemented-falsifier", Severity::error, f.loc,
          fmt::format("falsifier {} has no C++ implementation registered under that ID", f.id),
          "implement it under falsifiers/suite/ and register it with this exact ID, or make it kind external with a reason");
    }
  if (!options.check_orphans) return;
  for (const auto& id : *options.implemented)
    if (declared.count(id) == 0)
      add(out, "orphan-implementation", Severity::error, SourceLoc{"<falsifier registry>", 0, 0},
          fmt::format("falsifier {} is implemented and registered, but no contract declares it", id),
          "declare it in a contract's falsification_tests, or remove the implementation");
}

}  // namespace pv::validate
