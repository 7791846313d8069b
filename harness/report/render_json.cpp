// The report as JSON for other tools ("pv-report" version 1; fields in README.md).
#include <nlohmann/json.hpp>

#include "harness/evidence/json.hpp"
#include "harness/report/report.hpp"

namespace pv::report {
namespace {

using nlohmann::json;

// Measurements and machines as the evidence files write them.
using evidence::measurement_to_json;

json file_json(const EvidenceInput& in) {
  const auto& f = in.file;
  return {{"path", in.path},
          {"tool_version", f.tool_version},
          {"git_commit", f.git_commit},
          {"started", f.started},
          {"finished", f.finished},
          {"model", f.model},
          {"seed", f.seed},
          {"machine", evidence::machine_to_json(f.machine)}};
}

json result_json(const ResultView& v, const Report& r) {
  json ms = json::array();
  for (const auto& m : v.result.measurements)
    ms.push_back(measurement_to_json(m));
  return {{"file", r.files[v.file_index].path},
          {"backend", v.result.backend},
          {"verdict", evidence::to_string(v.result.verdict)},
          {"stale", v.stale},
          {"stale_reasons", v.stale_reasons},
          {"counted", v.counted},
          {"note", v.note},
          {"message", v.result.message},
          {"reproduce", v.result.reproduce},
          {"seed", v.result.seed},
          {"measurements", ms}};
}

json falsifier_json(const FalsifierReport& f, const Report& r) {
  json backends = json::object();
  for (const auto& fb : f.backends) backends[backend_name(fb.backend)] = outcome_name(fb.outcome);
  json results = json::array();
  for (const auto& v : f.results) results.push_back(result_json(v, r));
  return {{"id", f.id}, {"discharges", f.test->discharges}, {"outcome", backends}, {"results", results}};
}

json stage_json(const StageReport& s) {
  json obs = json::array();
  for (const auto& o : s.obligations) {
    json missing = json::array();
    for (const auto& m : o.missing)
      missing.push_back({{"falsifier", m.falsifier}, {"backend", backend_name(m.backend)},
                         {"outcome", outcome_name(m.outcome)}});
    obs.push_back({{"id", o.id}, {"discharged", o.discharged}, {"missing", missing}});
  }
  json backends = json::array();
  for (Backend b : s.backends) backends.push_back(backend_name(b));
  return {{"id", s.stage->id},         {"declared", status_name(s.declared)},
          {"derived", status_name(s.derived)}, {"backends", backends},
          {"over_claim", s.over_claim}, {"under_claim", s.under_claim},
          {"obligations", obs},        {"notes", s.notes}};
}

}  // namespace

std::string render_json(const Report& r) {
  json files = json::array();
  for (const auto& f : r.files) files.push_back(file_json(f));
  json contracts = json::array();
  int counts[3] = {0, 0, 0};
  for (const auto& c : r.contracts) {
    json stages = json::array(), falsifiers = json::array();
    for (const auto& s : c.stages) {
      stages.push_back(stage_json(s));
      ++counts[status_rank(s.derived)];
    }
    for (const auto& f : c.falsifiers) falsifiers.push_back(falsifier_json(f, r));
    contracts.push_back({{"name", c.name}, {"path", c.contract->path}, {"stages", stages}, {"falsifiers", falsifiers}});
  }
  json j = {{"format", "pv-report"},
            {"version", 1},
            {"summary",
             {{"SHIPPED", counts[2]},
              {"PARTIAL", counts[1]},
              {"PENDING", counts[0]},
              {"over_claims", r.over_claims()},
              {"stale_results", r.stale_results()}}},
            {"over_claim_errors", over_claim_errors(r)},
            {"evidence_errors", r.errors},
            {"unmatched_results", r.unmatched},
            {"evidence_files", files},
            {"contracts", contracts}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";  // paths may not be UTF-8
}

}  // namespace pv::report
