// The report as Markdown for a pull-request comment: a summary line, over-claims first, then a
// table per contract (stage, declared, derived, obligations, notes) and the evidence files.
#include <fmt/format.h>

#include "harness/report/report.hpp"
#include "harness/report/text.hpp"

namespace pv::report {
namespace {

std::string obligations_cell(const StageReport& s) {
  std::string out = fmt::format("{}/{}", s.discharged_count(), s.obligations.size());
  std::string missing;
  for (const auto& o : s.obligations) {
    if (o.discharged) continue;
    std::string why;
    for (const auto& m : o.missing) why += (why.empty() ? "" : "; ") + text::missing(m);
    missing += (missing.empty() ? "" : ", ") + o.id + " (" + why + ")";
  }
  if (!missing.empty()) out += "; missing " + missing;
  return text::escape_md(out);
}

std::string derived_cell(const StageReport& s) {
  std::string d = status_name(s.derived);
  return s.declared == s.derived ? d : "**" + d + "**";
}

std::string notes_cell(const StageReport& s) {
  std::string out;
  for (const auto& n : s.notes) out += (out.empty() ? "" : "<br>") + text::escape_md(n);
  return out;
}

void contract_table(std::string& out, const ContractReport& c) {
  out += fmt::format("\n### {} (`{}`)\n\n", c.name, c.contract->path);
  if (c.stages.empty()) {
    out += "No implementation stages.\n";
    return;
  }
  out += "| stage | declared | derived | obligations | notes |\n|---|---|---|---|---|\n";
  for (const auto& s : c.stages)
    out += fmt::format("| {}{} | {} | {} | {} | {} |\n", s.over_claim ? "**over-claim** " : "", s.stage->id,
                       status_name(s.declared), derived_cell(s), obligations_cell(s), notes_cell(s));
}

}  // namespace

std::string render_markdown(const Report& r) {
  int counts[3] = {0, 0, 0};
  for (const auto& c : r.contracts)
    for (const auto& s : c.stages) ++counts[status_rank(s.derived)];
  std::string out = "## pv stage report\n\n";
  out += fmt::format("**{} SHIPPED, {} PARTIAL, {} PENDING** (derived from {} evidence file(s)); {} over-claim(s); "
                     "{} stale result(s) shown but not counted.\n",
                     counts[2], counts[1], counts[0], r.files.size(), r.over_claims(), r.stale_results());
  if (!r.errors.empty()) {
    out += "\n**Unreadable evidence (nothing counted from these files):**\n\n";
    for (const auto& e : r.errors) out += "- " + text::escape_md(e) + "\n";
  }
  const auto errors = over_claim_errors(r);
  if (!errors.empty()) {
    out += "\n**Over-claims (`pv report --check` fails):**\n\n";
    for (const auto& e : errors) out += "- " + text::escape_md(e) + "\n";
  }
  for (const auto& c : r.contracts) contract_table(out, c);
  if (!r.unmatched.empty()) {
    out += "\n**Results not matching any loaded contract (not counted):**\n\n";
    for (const auto& u : r.unmatched) out += "- " + text::escape_md(u) + "\n";
  }
  out += "\n<details><summary>Evidence files</summary>\n\n| file | machine | commit | finished | results |\n"
         "|---|---|---|---|---|\n";
  for (const auto& f : r.files)
    out += fmt::format("| `{}` | {} | `{}` | {} | {} |\n", f.path, text::escape_md(text::machine(f.file.machine)),
                       f.file.git_commit.substr(0, 12), f.file.finished, f.file.results.size());
  out += "\n</details>\n";
  return out;
}

std::string render_status(const Report& r) {
  std::size_t width = 8;
  for (const auto& c : r.contracts) width = std::max(width, c.name.size());
  std::string out;
  int total[3] = {0, 0, 0};
  for (const auto& c : r.contracts) {
    int sh = c.count(StageStatus::SHIPPED), pa = c.count(StageStatus::PARTIAL), pe = c.count(StageStatus::PENDING);
    total[2] += sh;
    total[1] += pa;
    total[0] += pe;
    std::string over;
    for (const auto& s : c.stages)
      if (s.over_claim)
        over += (over.empty() ? "  over-claims: " : ", ") + s.stage->id + " (declared " + status_name(s.declared) +
                ", evidence " + status_name(s.derived) + ")";
    out += fmt::format("{:<{}}  {} SHIPPED  {} PARTIAL  {} PENDING{}\n", c.name, width, sh, pa, pe, over);
  }
  out += fmt::format("total: {} SHIPPED, {} PARTIAL, {} PENDING; {} over-claim(s); {} stale result(s); "
                     "{} evidence file(s)",
                     total[2], total[1], total[0], r.over_claims(), r.stale_results(), r.files.size());
  if (!r.errors.empty()) out += fmt::format(", {} unreadable", r.errors.size());
  out += "\n";
  for (const auto& e : r.errors) out += "error: " + e + "\n";
  return out;
}

}  // namespace pv::report
