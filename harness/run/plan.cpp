#include "harness/run/plan.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <set>

#include "falsifiers/framework/registry.hpp"

namespace pv::run {

std::string reproduce_line(const PlanOptions& opt, const std::string& id, const std::string& backend) {
  std::string s = fmt::format("pv run --only {} --backend {} --seed {}", id, backend, opt.seed);
  if (opt.contracts_dir != "contracts" && opt.contracts_dir != "contracts/")
    s += " --contracts " + opt.contracts_dir;
  if (!opt.model_arg.empty()) s += " --model " + opt.model_arg;
  return s;
}

namespace {

bool wanted(const std::string& backend, const PlanOptions& opt) {
  return std::find(opt.backends.begin(), opt.backends.end(), backend) != opt.backends.end();
}

Task make_task(const contract::Contract& c, const contract::FalsificationTest& f,
               const std::string& backend, const PlanOptions& opt) {
  Task t;
  t.id = f.id;
  t.contract = c.name;
  t.backend = backend;
  t.kind = contract::to_string(f.kind);
  t.info = falsify::find_falsifier(f.id);
  falsify::Context& ctx = t.ctx;
  ctx.id = f.id;
  for (const auto& th : f.thresholds) ctx.thresholds[th.metric] = falsify::Limit{th.op, th.value, th.unit};
  ctx.parameters = f.parameters;
  ctx.backend = backend;
  ctx.seed = opt.seed;
  ctx.model_path = opt.model_path;
  ctx.synthetic_model = opt.synthetic_model;
  ctx.fixtures_dir = opt.fixtures_dir;
  ctx.source_dir = opt.source_dir;
  ctx.reproduce = reproduce_line(opt, f.id, backend);
  if (f.kind == contract::FalsifierKind::external) {
    t.preset = true;
    t.preset_verdict = evidence::Verdict::SKIP;
    t.preset_message = "external falsifier, run outside pv: " + f.reason;
  } else if (t.info == nullptr) {
    t.preset = true;
    t.preset_verdict = evidence::Verdict::ERROR;
    t.preset_message = fmt::format("{} is declared in {} ({}:{}) but no falsifier is registered under that ID",
                                   f.id, c.name, f.loc.file, f.loc.line);
  }
  return t;
}

}  // namespace

Plan make_plan(const std::vector<contract::Contract>& contracts, const PlanOptions& opt) {
  Plan plan;
  std::optional<std::regex> re;
  if (!opt.filter.empty()) {
    try {
      re.emplace(opt.filter, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      plan.errors.push_back(fmt::format("--filter '{}' is not a valid regular expression: {}", opt.filter, e.what()));
      return plan;
    }
  }
  std::set<std::string> declared;
  for (const auto& c : contracts) {
    for (const auto& f : c.falsification_tests) {
      declared.insert(f.id);
      if (!opt.only.empty() && std::find(opt.only.begin(), opt.only.end(), f.id) == opt.only.end()) continue;
      if (re && !std::regex_search(f.id, *re)) continue;
      for (auto b : f.backends) {
        std::string name = contract::to_string(b);
        if (wanted(name, opt)) plan.tasks.push_back(make_task(c, f, name, opt));
      }
    }
  }
  for (const auto& id : opt.only)
    if (!declared.count(id))
      plan.errors.push_back(fmt::format("--only {}: no contract under {} declares this falsifier", id, opt.contracts_dir));
  for (const auto& id : falsify::registered_falsifier_ids())
    if (!declared.count(id))
      plan.warnings.push_back(fmt::format("falsifier {} is registered but no contract declares it (not run)", id));
  return plan;
}

}  // namespace pv::run
