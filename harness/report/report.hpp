#pragma once
// Stage statuses derived from evidence (rules in harness/report/README.md).
//
//   auto inputs = pv::report::load_evidence(paths);            // bad files -> inputs.errors
//   pv::report::Report r = pv::report::derive(contracts, inputs, {repo_root});
//   std::string md = pv::report::render_markdown(r);
//
// The report never trusts a declared status: every derived status comes from PASS results in
// fresh evidence; declared statuses are only compared against it.
#include <optional>
#include <string>
#include <vector>

#include "harness/contract/model.hpp"
#include "harness/evidence/evidence.hpp"

namespace pv::report {

using contract::Backend;
using contract::StageStatus;

const char* status_name(StageStatus s);
const char* backend_name(Backend b);
int status_rank(StageStatus s);  // PENDING 0 < PARTIAL 1 < SHIPPED 2

// Evidence files as read from disk. A file that fails to read contributes an error and nothing else.
struct EvidenceInput {
  std::string path;
  evidence::EvidenceFile file;
  double finished_epoch = 0;  // `finished` in seconds since 1970 (UTC), orders runs
};
struct EvidenceSet {
  std::vector<EvidenceInput> files;
  std::vector<std::string> errors;  // one message per unreadable, malformed or foreign file
};
EvidenceSet load_evidence(const std::vector<std::string>& paths);

// ISO 8601 time as accepted by evidence files -> seconds since 1970 UTC; throws on bad text.
double parse_iso8601(const std::string& s);

// One result from one evidence file, with its freshness judged against the current tree.
struct ResultView {
  std::size_t file_index = 0;  // into Report::files
  evidence::FalsifierResult result;
  bool stale = false;
  std::vector<std::string> stale_reasons;  // "contract moe-router-v1 changed", "engine/cpu changed"
  bool counted = false;  // the deciding result for its (falsifier, backend)
  std::string note;      // why a fresh result does not count (SKIP, superseded, undeclared backend)
};

// The outcome of one falsifier on one backend.
enum class Outcome { passed, failed, skipped, stale, missing };
const char* outcome_name(Outcome o);

struct FalsifierBackend {
  Backend backend = Backend::cpu;
  Outcome outcome = Outcome::missing;
  std::optional<std::size_t> decisive;  // index into FalsifierReport::results
};

struct FalsifierReport {
  std::string id;
  const contract::FalsificationTest* test = nullptr;
  std::vector<FalsifierBackend> backends;  // one per declared backend
  std::vector<ResultView> results;         // every result for this falsifier, all files
  const FalsifierBackend* on(Backend b) const;
};

// What a stage still needs on one backend: a falsifier and why it does not count yet.
struct Missing {
  std::string falsifier;  // empty when no falsifier discharging the obligation runs on `backend`
  Backend backend = Backend::cpu;
  Outcome outcome = Outcome::missing;
};

struct ObligationReport {
  std::string id;
  bool discharged = false;
  std::vector<Missing> missing;  // empty when discharged
};

struct StageReport {
  const contract::Stage* stage = nullptr;
  StageStatus declared = StageStatus::PENDING;
  StageStatus derived = StageStatus::PENDING;
  std::vector<Backend> backends;  // required (the stage's, or all declared when it lists none)
  std::vector<ObligationReport> obligations;
  bool over_claim = false;   // declared > derived
  bool under_claim = false;  // declared < derived
  std::vector<std::string> notes;
  std::size_t discharged_count() const;
};

struct ContractReport {
  const contract::Contract* contract = nullptr;
  std::string name;
  std::vector<StageReport> stages;
  std::vector<FalsifierReport> falsifiers;
  int count(StageStatus s) const;
  int over_claims() const;
};

struct Report {
  std::vector<EvidenceInput> files;
  std::vector<std::string> errors;          // evidence files that could not be read
  std::vector<ContractReport> contracts;
  std::vector<std::string> unmatched;       // results naming no loaded contract/falsifier
  int over_claims() const;
  int stale_results() const;
};

struct Options {
  std::string repo_root = ".";  // source_hashes paths are relative to this
};

// Contracts must outlive the report (it points into them).
Report derive(const std::vector<contract::Contract>& contracts, const EvidenceSet& evidence,
              const Options& options = {});

// One line per over-claim: stage, missing obligations and the falsifiers (with backends) to run.
std::vector<std::string> over_claim_errors(const Report& r);

std::string render_markdown(const Report& r);
std::string render_json(const Report& r);
std::string render_html(const Report& r);
std::string render_status(const Report& r);  // `pv status`: one line per contract

}  // namespace pv::report
