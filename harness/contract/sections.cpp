#include "harness/contract/sections.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>

#include <cmath>

#include "harness/contract/formats.hpp"

namespace pv::contract {
namespace {

std::string indexed(const char* list, std::size_t i) { return fmt::format("{}[{}]", list, i); }

std::vector<Backend> read_backends(Reader& r, const Reader::Map& m) {
  std::vector<Backend> out;
  const auto& allowed = schema::backends();
  for (const yaml::Node* n : r.list(m, "backends", true)) {
    if (n->kind == yaml::Node::Kind::scalar && n->value == "cpu") {
      out.push_back(Backend::cpu);
    } else if (n->kind == yaml::Node::Kind::scalar && n->value == "cuda") {
      out.push_back(Backend::cuda);
    } else {
      r.error("bad-enum", *n, fmt::format("{}.backends holds '{}', not a backend", m.where(), clip(n->value)),
              fmt::format("use any of: {}", fmt::join(allowed, ", ")));
    }
  }
  return out;
}

void check_ids(Reader& r, const Reader::Map& m, std::string_view key, const std::vector<std::string>& ids) {
  const yaml::Node* list = m.get(key);
  if (list == nullptr || list->kind != yaml::Node::Kind::sequence) return;
  (void)ids;
  for (std::size_t i = 0; i < list->items.size(); ++i) {
    const auto& item = *list->items[i];
    if (item.kind == yaml::Node::Kind::scalar && !formats::is_obligation_id(item.value))
      r.error("bad-id", item, fmt::format("{}.{} names '{}', not a proof-obligation ID", m.where(), key, clip(item.value)),
              "obligation IDs look like AC_ROUTER_001 (AC_, upper-case words joined by _, 3 digits)");
  }
}

Threshold read_threshold(Reader& r, const yaml::Node& n, const std::string& where) {
  Threshold t;
  t.loc = r.loc(n);
  auto m = r.map(n, schema::section("thresholds[]"), where);
  if (!m) return t;
  t.metric = r.str(*m, "metric", true);
  r.check_format(*m, "metric", formats::is_metric_name(t.metric), "bad-id", "a snake_case metric name",
                 "metrics are lower-case words joined by '_', e.g. cosine_min");
  if (auto op = r.enum_value(*m, "op", schema::threshold_ops())) t.op = *op;
  if (auto v = r.number(*m, "value")) t.value = *v;
  t.unit = r.str(*m, "unit", false);
  t.derivation = r.str(*m, "derivation", false);
  // A number nobody can explain cannot be judged: say where it comes from.
  if (t.derivation.find_first_not_of(" \t\r\n") == std::string::npos && m->get("metric") != nullptr)
    r.warning("missing-derivation", n, fmt::format("{} ({}) gives no derivation", where, clip(t.metric)),
              "add `derivation:` saying how the value follows (error analysis, measured baseline, spec)");
  return t;
}

}  // namespace

void read_metadata(Reader& r, const yaml::Node& n, Metadata& out) {
  out.loc = r.loc(n);
  auto m = r.map(n, schema::section("metadata"), "metadata");
  if (!m) return;
  out.version = r.str(*m, "version", true);
  r.check_format(*m, "version", formats::is_semver(out.version), "bad-semver", "a semantic version",
                 "write MAJOR.MINOR.PATCH, e.g. \"1.0.0\"");
  out.created = r.str(*m, "created", true);
  r.check_format(*m, "created", formats::is_date(out.created), "bad-date", "a calendar date",
                 "write YYYY-MM-DD, e.g. \"2026-05-04\"");
  out.author = r.str(*m, "author", true);
  out.description = r.str(*m, "description", true);
  out.references = r.str_list(*m, "references", false);
  out.depends_on = r.str_list(*m, "depends_on", false, &out.depends_on_locs);
  std::size_t i = 0;
  for (const yaml::Node* item : r.list(*m, "depends_on", false)) {
    if (item->kind == yaml::Node::Kind::scalar && !formats::is_contract_name(item->value))
      r.error("bad-id", *item, fmt::format("metadata.depends_on[{}] '{}' is not a contract name", i, clip(item->value)),
              "name the contract by its `name:` (kebab-case, e.g. moe-router-v1)");
    ++i;
  }
  i = 0;
  for (const yaml::Node* item : r.list(*m, "amendment_history", false)) {
    auto a = r.map(*item, schema::section("amendment_history[]"), indexed("metadata.amendment_history", i++));
    if (!a) continue;
    Amendment am;
    am.loc = r.loc(*item);
    am.version = r.str(*a, "version", true);
    r.check_format(*a, "version", formats::is_semver(am.version), "bad-semver", "a semantic version",
                   "write MAJOR.MINOR.PATCH, e.g. \"1.0.0\"");
    am.date = r.str(*a, "date", true);
    r.check_format(*a, "date", formats::is_date(am.date), "bad-date", "a calendar date",
                   "write YYYY-MM-DD, e.g. \"2026-05-04\"");
    if (auto k = r.enum_value(*a, "kind", schema::amendment_kinds())) am.kind = *k;
    am.title = r.str(*a, "title", true);
    am.description = r.str(*a, "description", true);
    out.amendment_history.push_back(std::move(am));
  }
}

void read_equations(Reader& r, const yaml::Node& n, std::vector<Equation>& out) {
  auto eqs = r.open_map(n, "equations");
  if (!eqs) return;
  for (const auto& [name, node] : eqs->entries()) {
    auto m = r.map(*node, schema::section("equations.*"), "equations." + name);
    if (!m) continue;
    Equation e;
    e.name = name;
    e.loc = r.loc(*node);
    e.formula = r.str(*m, "formula", true);
    e.description = r.str(*m, "description", false);
    e.domain = r.str(*m, "domain", false);
    e.codomain = r.str(*m, "codomain", false);
    e.invariants = r.str_list(*m, "invariants", false);
    e.preconditions = r.str_list(*m, "preconditions", false);
    e.postconditions = r.str_list(*m, "postconditions", false);
    out.push_back(std::move(e));
  }
}

void read_obligation(Reader& r, const yaml::Node& n, std::vector<ProofObligation>& out) {
  auto m = r.map(n, schema::section("proof_obligations[]"), indexed("proof_obligations", out.size()));
  ProofObligation o;
  o.loc = r.loc(n);
  if (m) {
    o.id = r.str(*m, "id", true);
    r.check_format(*m, "id", formats::is_obligation_id(o.id), "bad-id", "a proof-obligation ID",
                   "obligation IDs look like AC_ROUTER_001 (AC_, upper-case words joined by _, 3 digits)");
    if (auto t = r.enum_value(*m, "type", schema::obligation_types())) o.type = *t;
    o.property = r.str(*m, "property", true);
    o.formal = r.str(*m, "formal", false);
    o.tolerance = r.number(*m, "tolerance");
  }
  out.push_back(std::move(o));
}

void read_stage(Reader& r, const yaml::Node& n, std::vector<Stage>& out) {
  auto m = r.map(n, schema::section("implementation_stages[]"), indexed("implementation_stages", out.size()));
  Stage s;
  s.loc = r.loc(n);
  if (m) {
    s.id = r.str(*m, "id", true);
    r.check_format(*m, "id", formats::is_stage_id(s.id), "bad-id", "a stage ID",
                   "stage IDs look like M-ROUTER-CPU or M-GPU-MOE-1 (M-, upper-case words joined by -)");
    const yaml::Node* st = m->get("status");
    std::string word = r.str(*m, "status", true);
    if (word == "PENDING") s.status = StageStatus::PENDING;
    else if (word == "PARTIAL") s.status = StageStatus::PARTIAL;
    else if (word == "SHIPPED") s.status = StageStatus::SHIPPED;
    else if (st != nullptr && st->kind == yaml::Node::Kind::scalar && !word.empty()) {
      if (auto mapped = formats::map_foreign_status(word))
        r.error("foreign-status", *st, fmt::format("stage status '{}' is another tool's word; here it maps to {}", clip(word), *mapped),
                fmt::format("write `status: {}` (statuses are PENDING, PARTIAL, SHIPPED; `pv report` derives them from evidence)", *mapped));
      else
        r.error("bad-enum", *st, fmt::format("stage status '{}' is not one of the allowed values", clip(word)),
                "use one of: PENDING, PARTIAL, SHIPPED");
    }
    s.description = r.str(*m, "description", true);
    s.expected_acceptance = r.str_list(*m, "expected_acceptance", true, &s.expected_acceptance_locs);
    check_ids(r, *m, "expected_acceptance", s.expected_acceptance);
    s.backends = read_backends(r, *m);
    s.evidence = r.str_list(*m, "evidence", false);
    s.blockers = r.str_list(*m, "blockers", false);
  }
  out.push_back(std::move(s));
}

void read_falsifier(Reader& r, const yaml::Node& n, std::vector<FalsificationTest>& out) {
  std::string where = indexed("falsification_tests", out.size());
  auto m = r.map(n, schema::section("falsification_tests[]"), where);
  FalsificationTest f;
  f.loc = r.loc(n);
  if (m) {
    f.id = r.str(*m, "id", true);
    r.check_format(*m, "id", formats::is_falsifier_id(f.id), "bad-id", "a falsifier ID",
                   "falsifier IDs look like FALSIFY-MOE-ROUTER-001 (FALSIFY-, upper-case words joined by -, 3 digits)");
    f.rule = r.str(*m, "rule", true);
    f.prediction = r.str(*m, "prediction", true);
    f.test = r.str(*m, "test", true);
    f.if_fails = r.str(*m, "if_fails", true);
    f.discharges = r.str_list(*m, "discharges", true, &f.discharges_locs);
    check_ids(r, *m, "discharges", f.discharges);
    auto kind = r.enum_value(*m, "kind", schema::falsifier_kinds());
    bool external = kind && *kind == "external";
    if (kind) {
      const auto& kinds = schema::falsifier_kinds();
      f.kind = static_cast<FalsifierKind>(std::find(kinds.begin(), kinds.end(), *kind) - kinds.begin());
    }
    f.backends = read_backends(r, *m);
    std::size_t i = 0;
    // Only an external falsifier may go without thresholds: the harness has nothing to compare.
    for (const yaml::Node* t : r.list(*m, "thresholds", kind.has_value() && !external))
      f.thresholds.push_back(read_threshold(r, *t, fmt::format("{}.thresholds[{}]", where, i++)));
    if (const yaml::Node* p = m->get("parameters")) {
      if (auto params = r.open_map(*p, where + ".parameters")) {
        for (const auto& [name, value] : params->entries()) {
          if (!formats::is_metric_name(name))
            r.error("bad-id", *value, fmt::format("parameter name '{}' is not snake_case", clip(name)),
                    "parameter names are lower-case words joined by '_', e.g. cases");
          if (auto v = r.number_node(*value, where + ".parameters." + name)) f.parameters[name] = *v;
        }
      }
    }
    f.reason = r.str(*m, "reason", false);
    if (external && f.reason.find_first_not_of(" \t\r\n") == std::string::npos)
      r.error("external-needs-reason", m->node(),
              fmt::format("{} ({}) is kind external but gives no reason", where, f.id),
              "add `reason:` saying why it cannot run in C++ and where it does run");
    if (!external && kind && m->get("thresholds") == nullptr)
      r.error("missing-key", m->node(), fmt::format("{} ({}) has no thresholds", where, f.id),
              "add `thresholds:` with at least one {metric, op, value}; only kind external may omit them");
  }
  out.push_back(std::move(f));
}

std::optional<QaGate> read_qa_gate(Reader& r, const yaml::Node& n) {
  auto m = r.map(n, schema::section("qa_gate"), "qa_gate");
  if (!m) return std::nullopt;
  QaGate q;
  q.loc = r.loc(n);
  q.id = r.str(*m, "id", true);
  r.check_format(*m, "id", formats::is_qa_gate_id(q.id), "bad-id", "a QA gate ID",
                 "QA gate IDs look like QA-MOE-ROUTER (QA-, upper-case words joined by -)");
  q.name = r.str(*m, "name", true);
  q.description = r.str(*m, "description", false);
  q.checks = r.str_list(*m, "checks", true);
  q.pass_criteria = r.str(*m, "pass_criteria", true);
  q.pass_criteria_loc = r.field_loc(*m, "pass_criteria");
  return q;
}

void read_kani(Reader& r, const yaml::Node& n, std::vector<KaniHarness>& out) {
  auto m = r.map(n, schema::section("kani_harnesses[]"), indexed("kani_harnesses", out.size()));
  KaniHarness k;
  k.loc = r.loc(n);
  if (m) {
    k.id = r.str(*m, "id", true);
    r.check_format(*m, "id", formats::is_kani_id(k.id), "bad-id", "a Kani harness ID",
                   "Kani harness IDs look like KANI-ROUTER-001");
    k.obligation = r.str(*m, "obligation", true);
    k.obligation_loc = r.field_loc(*m, "obligation");
    r.check_format(*m, "obligation", formats::is_obligation_id(k.obligation), "bad-id", "a proof-obligation ID",
                   "name the obligation by its ID, e.g. AC_ROUTER_001");
    k.property = r.str(*m, "property", true);
    k.strategy = r.str(*m, "strategy", true);
    k.solver = r.str(*m, "solver", false);
    k.harness = r.str(*m, "harness", true);
    if (auto b = r.number(*m, "bound")) {
      if (*b < 1 || *b > 1e6 || std::floor(*b) != *b)
        r.error("wrong-type", *m->get("bound"), fmt::format("kani bound {} is not a whole number from 1 to 1000000", *b),
                "write a small positive integer such as 8");
      else
        k.bound = static_cast<int>(*b);
    }
  }
  out.push_back(std::move(k));
}

}  // namespace pv::contract
