// Derivation of stage statuses from evidence. The rules, in order (README.md has the prose):
//  1. A result counts only if its contract and falsifier are loaded, its backend is one the
//     falsifier declares, it is fresh (hashes match the current tree) and it is not SKIP.
//  2. Per (falsifier, backend) the newest counting result decides (by the file's `finished`
//     time; ties go to the later file on the command line, then the later entry in a file).
//     So a newer FAIL overrides an older PASS: a regression is never hidden by old evidence.
//  3. An obligation is discharged on backend b when at least one falsifier discharging it
//     declares b, and every falsifier discharging it that declares b has a deciding PASS on b.
//     A falsifier that does not declare b does not apply to b. The obligation is discharged for
//     a stage when it is discharged on every backend the stage requires (a stage listing no
//     backends requires each discharging falsifier on every backend that falsifier declares).
//  4. SHIPPED when every expected obligation is discharged, PARTIAL when some, PENDING when none.
#include <algorithm>
#include <map>

#include "harness/report/freshness.hpp"
#include "harness/report/report.hpp"

namespace pv::report {
namespace {

using evidence::Verdict;

FalsifierReport make_falsifier(const contract::FalsificationTest& t) {
  FalsifierReport f;
  f.id = t.id;
  f.test = &t;
  for (Backend b : t.backends) f.backends.push_back({b, Outcome::missing, std::nullopt});
  return f;
}

bool declares(const contract::FalsificationTest& t, const std::string& backend) {
  return std::any_of(t.backends.begin(), t.backends.end(),
                     [&](Backend b) { return backend == backend_name(b); });
}

// Rule 2: choose the deciding result for each declared backend and label the others.
void decide(FalsifierReport& f, const std::vector<EvidenceInput>& files) {
  for (auto& fb : f.backends) {
    std::optional<std::size_t> best;
    bool any_skip = false, any_stale = false;
    for (std::size_t i = 0; i < f.results.size(); ++i) {
      const ResultView& v = f.results[i];
      if (v.result.backend != backend_name(fb.backend)) continue;
      if (v.stale) {
        any_stale = true;
        continue;
      }
      if (v.result.verdict == Verdict::SKIP) {
        any_skip = true;
        continue;
      }
      // Later file index wins ties; results are appended in file order, so >= on the time.
      if (!best || files[v.file_index].finished_epoch >= files[f.results[*best].file_index].finished_epoch) best = i;
    }
    if (best) {
      fb.decisive = best;
      f.results[*best].counted = true;
      fb.outcome = f.results[*best].result.verdict == Verdict::PASS ? Outcome::passed : Outcome::failed;
    } else {
      fb.outcome = any_skip ? Outcome::skipped : any_stale ? Outcome::stale : Outcome::missing;
    }
  }
  for (auto& v : f.results) {
    if (v.counted || !v.note.empty()) continue;
    if (v.stale)
      v.note = "stale: not counted";
    else if (v.result.verdict == Verdict::SKIP)
      v.note = "SKIP never counts";
    else
      v.note = "superseded by a newer result";
  }
}

using FalsifierIndex = std::map<std::string, const FalsifierReport*>;

// Rule 3 for one obligation.
ObligationReport judge_obligation(const std::string& ob, const std::vector<Backend>& stage_backends,
                                  const std::vector<const FalsifierReport*>& all) {
  ObligationReport o;
  o.id = ob;
  std::vector<const FalsifierReport*> dis;
  for (const auto* f : all)
    if (std::find(f->test->discharges.begin(), f->test->discharges.end(), ob) != f->test->discharges.end())
      dis.push_back(f);
  if (stage_backends.empty()) {
    for (const auto* f : dis)
      for (const auto& fb : f->backends)
        if (fb.outcome != Outcome::passed) o.missing.push_back({f->id, fb.backend, fb.outcome});
    if (dis.empty()) o.missing.push_back({"", Backend::cpu, Outcome::missing});
  } else {
    for (Backend b : stage_backends) {
      bool applies = false;
      for (const auto* f : dis) {
        const FalsifierBackend* fb = f->on(b);
        if (!fb) continue;  // does not apply to this backend
        applies = true;
        if (fb->outcome != Outcome::passed) o.missing.push_back({f->id, b, fb->outcome});
      }
      if (!applies) o.missing.push_back({"", b, Outcome::missing});
    }
  }
  o.discharged = o.missing.empty();
  return o;
}

StageReport judge_stage(const contract::Stage& s, const std::vector<const FalsifierReport*>& all) {
  StageReport r;
  r.stage = &s;
  r.declared = s.status;
  r.backends = s.backends;
  std::size_t stale = 0;
  for (const auto& ob : s.expected_acceptance) {
    r.obligations.push_back(judge_obligation(ob, s.backends, all));
    for (const auto& m : r.obligations.back().missing) {
      if (m.outcome == Outcome::stale) ++stale;
      if (m.falsifier.empty())
        r.notes.push_back("no falsifier discharging " + ob + " runs on " + backend_name(m.backend));
    }
  }
  const std::size_t n = r.obligations.size(), d = r.discharged_count();
  if (n == 0) r.notes.push_back("the stage lists no expected_acceptance obligations");
  r.derived = (n > 0 && d == n) ? StageStatus::SHIPPED : d > 0 ? StageStatus::PARTIAL : StageStatus::PENDING;
  r.over_claim = status_rank(r.declared) > status_rank(r.derived);
  r.under_claim = status_rank(r.declared) < status_rank(r.derived);
  if (stale) r.notes.push_back(std::to_string(stale) + " needed result(s) only in stale evidence: re-run");
  if (r.over_claim)
    r.notes.push_back(std::string("over-claim: declared ") + status_name(r.declared) + ", evidence shows " +
                      status_name(r.derived));
  if (r.under_claim)
    r.notes.push_back(std::string("under-claim: evidence supports ") + status_name(r.derived) +
                      "; write `status: " + status_name(r.derived) + "`");
  return r;
}

}  // namespace

const FalsifierBackend* FalsifierReport::on(Backend b) const {
  for (const auto& fb : backends)
    if (fb.backend == b) return &fb;
  return nullptr;
}

std::size_t StageReport::discharged_count() const {
  return static_cast<std::size_t>(
      std::count_if(obligations.begin(), obligations.end(), [](const ObligationReport& o) { return o.discharged; }));
}

int ContractReport::count(StageStatus s) const {
  return static_cast<int>(std::count_if(stages.begin(), stages.end(), [&](const StageReport& r) { return r.derived == s; }));
}
int ContractReport::over_claims() const {
  return static_cast<int>(std::count_if(stages.begin(), stages.end(), [](const StageReport& r) { return r.over_claim; }));
}
int Report::over_claims() const {
  int n = 0;
  for (const auto& c : contracts) n += c.over_claims();
  return n;
}
int Report::stale_results() const {
  int n = 0;
  for (const auto& c : contracts)
    for (const auto& f : c.falsifiers)
      for (const auto& v : f.results) n += v.stale ? 1 : 0;
  return n;
}

Report derive(const std::vector<contract::Contract>& contracts, const EvidenceSet& evidence, const Options& options) {
  Report rep;
  rep.files = evidence.files;
  rep.errors = evidence.errors;
  std::map<std::string, std::size_t> by_name;
  for (const auto& c : contracts) {
    ContractReport cr;
    cr.contract = &c;
    cr.name = c.name;
    for (const auto& t : c.falsification_tests) cr.falsifiers.push_back(make_falsifier(t));
    by_name[c.name] = rep.contracts.size();
    rep.contracts.push_back(std::move(cr));
  }

  // Rule 1: attach every result to its falsifier, judging freshness.
  Freshness fresh(options.repo_root);
  for (std::size_t fi = 0; fi < rep.files.size(); ++fi) {
    const auto& file = rep.files[fi].file;
    for (const auto& r : file.results) {
      auto cit = by_name.find(r.contract);
      ContractReport* cr = cit == by_name.end() ? nullptr : &rep.contracts[cit->second];
      FalsifierReport* f = nullptr;
      if (cr)
        for (auto& cand : cr->falsifiers)
          if (cand.id == r.id) f = &cand;
      if (!f) {
        rep.unmatched.push_back(rep.files[fi].path + ": " + r.id + " (" + r.backend + ") names contract '" +
                                r.contract + "', which " + (cr ? "does not declare it" : "is not loaded") +
                                "; not counted");
        continue;
      }
      ResultView v;
      v.file_index = fi;
      v.result = r;
      v.stale_reasons = fresh.stale_reasons(file, r, *cr->contract);
      v.stale = !v.stale_reasons.empty();
      if (!declares(*f->test, r.backend)) v.note = "backend " + r.backend + " not declared by the contract: not counted";
      f->results.push_back(std::move(v));
    }
  }
  std::vector<const FalsifierReport*> all;
  for (auto& cr : rep.contracts)
    for (auto& f : cr.falsifiers) {
      decide(f, rep.files);
      all.push_back(&f);
    }
  for (auto& cr : rep.contracts)
    for (const auto& s : cr.contract->implementation_stages) cr.stages.push_back(judge_stage(s, all));
  return rep;
}

std::vector<std::string> over_claim_errors(const Report& r) {
  std::vector<std::string> out;
  for (const auto& c : r.contracts)
    for (const auto& s : c.stages) {
      if (!s.over_claim) continue;
      std::string missing, run;
      for (const auto& o : s.obligations) {
        if (o.discharged) continue;
        missing += (missing.empty() ? "" : ", ") + o.id;
        for (const auto& m : o.missing)
          run += (run.empty() ? "" : ", ") +
                 (m.falsifier.empty() ? "(no falsifier for " + o.id + ")" : m.falsifier) + " on " +
                 backend_name(m.backend) + " [" + outcome_name(m.outcome) + "]";
      }
      // One `pv run` command per backend reproduces the missing evidence.
      std::map<std::string, std::vector<std::string>> per_backend;
      for (const auto& o : s.obligations)
        for (const auto& m : o.missing)
          if (!m.falsifier.empty()) {
            auto& ids = per_backend[backend_name(m.backend)];
            if (std::find(ids.begin(), ids.end(), m.falsifier) == ids.end()) ids.push_back(m.falsifier);
          }
      std::string cmds;
      for (const auto& [backend, ids] : per_backend) {
        cmds += (cmds.empty() ? "" : "; ") + std::string("pv run --backend ") + backend + " --only";
        for (const auto& id : ids) cmds += " " + id;
      }
      out.push_back(c.name + ": stage " + s.stage->id + " declares " + status_name(s.declared) +
                    " but evidence shows " + status_name(s.derived) + "; missing obligations: " + missing +
                    "; falsifiers to run: " + run + (cmds.empty() ? "" : "; run: " + cmds));
    }
  return out;
}

}  // namespace pv::report
