// `pv report`: stage statuses derived from evidence, as Markdown, JSON or HTML.
#include <fmt/core.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "harness/cli/command.hpp"
#include "harness/cli/report_session.hpp"

namespace po = boost::program_options;

namespace {

constexpr const char* kHelp = R"(usage: pv report [--evidence FILE...] [--contracts DIR] [--root DIR]
                 [--format md|json|html] [--out DIR] [--check]

Derives every stage's status (PENDING, PARTIAL, SHIPPED) from the evidence files `pv run`
wrote, and compares it with the status each contract declares. Rules: harness/report/README.md.

  --evidence FILE...  evidence files to merge (default: reports/evidence/*.json under --root)
  --contracts DIR     contract directory or file (default: contracts)
  --root DIR          repository root the evidence's source hashes are relative to (default: .)
  --format F          md (default), json or html
  --out DIR           write the report into DIR: report.md, report.json and report.html, or only
                      the one named by --format; without --out the report goes to stdout
  --check             fail (exit 1) when a stage declares more than its evidence shows

Stale evidence (contract or engine source changed since the run) is shown, never counted.
exit codes: 0 report written (and consistent with --check), 1 over-claim with --check,
            2 usage error, contracts that do not load, or unreadable/malformed evidence
)";

void write_file(const std::filesystem::path& path, const std::string& text) {
  const std::string tmp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error(tmp + ": cannot write");
  }
  std::filesystem::rename(tmp, path);
}

std::string render(const pv::report::Report& r, const std::string& format) {
  if (format == "json") return pv::report::render_json(r);
  if (format == "html") return pv::report::render_html(r);
  return pv::report::render_markdown(r);
}

int run_report(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("help,h", "show this help");
  pv::cli::add_session_options(opts);
  opts.add_options()("format", po::value<std::string>(), "md, json or html")(
      "out", po::value<std::string>(), "output directory")("check", "fail on over-claims");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "pv report: {}\n\n{}", e.what(), kHelp);
    return pv::cli::kExitUsage;
  }
  if (vm.count("help")) {
    fmt::print("{}", kHelp);
    return pv::cli::kExitOk;
  }
  const std::string format = vm.count("format") ? vm["format"].as<std::string>() : "";
  if (!format.empty() && format != "md" && format != "json" && format != "html") {
    fmt::print(stderr, "pv report: unknown --format '{}' (md, json or html)\n", format);
    return pv::cli::kExitUsage;
  }
  auto session = pv::cli::open_session_or_explain(vm, "pv report");
  if (!session) return pv::cli::kExitUsage;
  const pv::report::Report& r = session->report;

  if (vm.count("out")) {
    const std::filesystem::path dir = vm["out"].as<std::string>();
    std::filesystem::create_directories(dir);
    for (const char* f : {"md", "json", "html"})
      if (format.empty() || format == f) write_file(dir / (std::string("report.") + f), render(r, f));
    fmt::print("{}", pv::report::render_status(r));
    fmt::print("pv report: wrote {}\n", format.empty() ? (dir / "report.{md,json,html}").string()
                                                       : (dir / ("report." + format)).string());
  } else {
    fmt::print("{}", render(r, format.empty() ? "md" : format));
  }

  for (const auto& e : r.errors) fmt::print(stderr, "pv report: error: {} (nothing counted from this file)\n", e);
  int rc = pv::cli::kExitOk;
  if (vm.count("check")) {
    const auto over = pv::report::over_claim_errors(r);
    for (const auto& e : over) fmt::print(stderr, "pv report --check: error: {}\n", e);
    if (!over.empty()) rc = pv::cli::kExitFailed;
  }
  if (!r.errors.empty()) rc = pv::cli::kExitUsage;  // unreadable evidence outranks an over-claim
  for (const auto& c : r.contracts)
    for (const auto& s : c.stages)
      if (s.under_claim)
        fmt::print(stderr, "pv report: note: {}: stage {} declares {}, evidence supports {}; write `status: {}`\n",
                   c.name, s.stage->id, pv::report::status_name(s.declared), pv::report::status_name(s.derived),
                   pv::report::status_name(s.derived));
  return rc;
}

}  // namespace

PV_COMMAND(report, "report", "derive stage statuses from evidence (md, json, html); --check fails on over-claims",
           run_report);
