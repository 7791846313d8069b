// The report as one self-contained HTML page: inline CSS, no scripts, no network. Per contract
// a stage table and a falsifier table (each result's measured values against thresholds per
// backend, stale results marked STALE with the reason), then the machines the evidence came from.
#include <fmt/format.h>

#include "harness/report/report.hpp"
#include "harness/report/text.hpp"

namespace pv::report {
namespace {

using text::escape_html;

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#1b1f24;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #d0d7de}code{font-size:.92em}
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}.status{font-weight:600;padding:1px 6px;border-radius:4px}
.status-SHIPPED{background:#dafbe1;color:#116329}.status-PARTIAL{background:#fff8c5;color:#7d4e00}
.status-PENDING{background:#eaeef2;color:#424a53}.over-claim{background:#ffebe9}
.outcome-passed{color:#116329}.outcome-failed{color:#cf222e;font-weight:600}.outcome-stale,.outcome-skipped,.outcome-missing{color:#6e7781}
tr.stale td{color:#6e7781;background:repeating-linear-gradient(135deg,#fff,#fff 6px,#f6f8fa 6px,#f6f8fa 12px)}
.stale-marker{background:#6e7781;color:#fff;border-radius:4px;padding:0 5px;font-size:.85em;font-weight:600}
.counted{color:#116329;font-weight:600}.errors{background:#ffebe9;border:1px solid #ff8182;padding:.5em 1em}
ul.m{margin:0;padding-left:1.2em}.fail{color:#cf222e}
)";

std::string status_span(StageStatus s) {
  return fmt::format("<span class=\"status status-{0}\">{0}</span>", status_name(s));
}

void stages_table(std::string& out, const ContractReport& c) {
  out += "<table class=\"stages\"><tr><th>stage</th><th>declared</th><th>derived</th><th>backends</th>"
         "<th>obligations</th><th>notes</th></tr>\n";
  for (const auto& s : c.stages) {
    std::string backends, obligations, notes;
    for (Backend b : s.backends) backends += std::string(backends.empty() ? "" : ", ") + backend_name(b);
    for (const auto& o : s.obligations) {
      std::string why;
      for (const auto& m : o.missing) why += (why.empty() ? "" : "; ") + text::missing(m);
      obligations += fmt::format("<li>{} {}{}</li>", o.discharged ? "&#10003;" : "&#10007;", escape_html(o.id),
                                 why.empty() ? "" : " <small>(" + escape_html(why) + ")</small>");
    }
    for (const auto& n : s.notes) notes += "<li>" + escape_html(n) + "</li>";
    out += fmt::format(
        "<tr class=\"stage{}\" data-stage=\"{}\" data-derived=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}/{}<ul class=\"m\">{}</ul></td><td><ul class=\"m\">{}</ul></td></tr>\n",
        s.over_claim ? " over-claim" : "", escape_html(s.stage->id), status_name(s.derived), escape_html(s.stage->id),
        status_span(s.declared), status_span(s.derived), backends.empty() ? "any declared" : backends,
        s.discharged_count(), s.obligations.size(), obligations, notes);
  }
  out += "</table>\n";
}

std::string measurements_cell(const ResultView& v) {
  std::string out = "<ul class=\"m\">";
  for (const auto& m : v.result.measurements)
    out += fmt::format("<li{}>{}</li>", !m.op.empty() && !m.passed ? " class=\"fail\"" : "",
                       escape_html(text::measurement(m)));
  return out + "</ul>";
}

void falsifier_table(std::string& out, const ContractReport& c, const Report& r) {
  out += "<table class=\"results\"><tr><th>falsifier</th><th>backend</th><th>outcome</th><th>result</th>"
         "<th>measured vs threshold</th><th>evidence</th></tr>\n";
  for (const auto& f : c.falsifiers) {
    for (const auto& fb : f.backends) {
      bool any = false;
      for (const auto& v : f.results) {
        if (v.result.backend != backend_name(fb.backend)) continue;
        any = true;
        std::string status = v.stale ? "<span class=\"stale-marker\">STALE</span> " + escape_html([&] {
          std::string s;
          for (const auto& x : v.stale_reasons) s += (s.empty() ? "" : "; ") + x;
          return s;
        }()) : v.counted ? "<span class=\"counted\">counted</span>" : escape_html(v.note);
        const auto& file = r.files[v.file_index];
        std::string detail = v.result.message.empty() ? "" : "<br><small>" + escape_html(v.result.message) + "</small>";
        if (!v.result.reproduce.empty()) detail += "<br><code>" + escape_html(v.result.reproduce) + "</code>";
        out += fmt::format(
            "<tr class=\"result{}\"><td><code>{}</code></td><td>{}</td><td class=\"outcome-{}\">{}</td>"
            "<td>{} &middot; {}{}</td><td>{}</td><td><code>{}</code><br><small>{} &middot; {}</small></td></tr>\n",
            v.stale ? " stale" : "", escape_html(f.id), backend_name(fb.backend), outcome_name(fb.outcome),
            outcome_name(fb.outcome), evidence::to_string(v.result.verdict), status, detail, measurements_cell(v),
            escape_html(file.path), escape_html(text::machine(file.file.machine)), escape_html(file.file.finished));
      }
      if (!any)
        out += fmt::format("<tr class=\"result\"><td><code>{}</code></td><td>{}</td><td class=\"outcome-missing\">"
                           "missing</td><td colspan=\"3\">no result in the evidence</td></tr>\n",
                           escape_html(f.id), backend_name(fb.backend));
    }
  }
  out += "</table>\n";
}

void machines_table(std::string& out, const Report& r) {
  out += "<h2>Evidence and machines</h2>\n<table class=\"machines\"><tr><th>file</th><th>host</th><th>CPU</th>"
         "<th>GPU</th><th>driver / CUDA</th><th>commit</th><th>pv</th><th>model</th><th>finished</th></tr>\n";
  for (const auto& f : r.files) {
    const auto& m = f.file.machine;
    out += fmt::format(
        "<tr><td><code>{}</code></td><td>{}</td><td>{} ({} threads)</td><td>{}</td><td>{} / {}</td>"
        "<td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        escape_html(f.path), escape_html(m.hostname), escape_html(m.cpu_model), m.cpu_threads,
        m.gpu_name.empty() ? "none" : escape_html(m.gpu_name), escape_html(m.gpu_driver), escape_html(m.cuda_version),
        escape_html(f.file.git_commit), escape_html(f.file.tool_version), escape_html(f.file.model),
        escape_html(f.file.finished));
  }
  out += "</table>\n";
}

}  // namespace

std::string render_html(const Report& r) {
  int counts[3] = {0, 0, 0};
  for (const auto& c : r.contracts)
    for (const auto& s : c.stages) ++counts[status_rank(s.derived)];
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width\"><title>pv stage report</title><style>";
  out += kStyle;
  out += "</style></head><body>\n<h1>pv stage report</h1>\n";
  out += fmt::format("<p id=\"summary\">{} {} &middot; {} {} &middot; {} {} &middot; {} over-claim(s) &middot; "
                     "{} stale result(s) shown, never counted &middot; {} evidence file(s)</p>\n",
                     counts[2], status_span(StageStatus::SHIPPED), counts[1], status_span(StageStatus::PARTIAL),
                     counts[0], status_span(StageStatus::PENDING), r.over_claims(), r.stale_results(), r.files.size());
  auto list = [&](const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += fmt::format("<div class=\"errors\"><strong>{}</strong><ul>", title);
    for (const auto& e : items) out += "<li>" + escape_html(e) + "</li>";
    out += "</ul></div>\n";
  };
  list("Unreadable evidence (nothing counted from these files)", r.errors);
  list("Over-claims", over_claim_errors(r));
  list("Results matching no loaded contract (not counted)", r.unmatched);
  for (const auto& c : r.contracts) {
    out += fmt::format("<section class=\"contract\" id=\"{0}\"><h2>{0}</h2><p><code>{1}</code></p>\n",
                       escape_html(c.name), escape_html(c.contract->path));
    stages_table(out, c);
    out += "<h3>Falsifiers</h3>\n";
    falsifier_table(out, c, r);
    out += "</section>\n";
  }
  machines_table(out, r);
  out += "</body></html>\n";
  return out;
}

}  // namespace pv::report
