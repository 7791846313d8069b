// `pv status`: a short terminal summary of the stage statuses the evidence supports.
#include <fmt/core.h>

#include <boost/program_options.hpp>

#include "harness/cli/command.hpp"
#include "harness/cli/report_session.hpp"

namespace po = boost::program_options;

namespace {

constexpr const char* kHelp = R"(usage: pv status [--evidence FILE...] [--contracts DIR] [--root DIR]

One line per contract: how many stages the evidence shows SHIPPED, PARTIAL and PENDING, and
which stages over-claim (declare more than their evidence shows). The same derivation as
`pv report` (harness/report/README.md); `pv report` gives the details.

  --evidence FILE...  evidence files to merge (default: reports/evidence/*.json under --root)
  --contracts DIR     contract directory or file (default: contracts)
  --root DIR          repository root the evidence's source hashes are relative to (default: .)

exit codes: 0 summary printed (over-claims included: use `pv report --check` to fail on them),
            2 usage error, contracts that do not load, or unreadable/malformed evidence
)";

int run_status(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("help,h", "show this help");
  pv::cli::add_session_options(opts);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "pv status: {}\n\n{}", e.what(), kHelp);
    return pv::cli::kExitUsage;
  }
  if (vm.count("help")) {
    fmt::print("{}", kHelp);
    return pv::cli::kExitOk;
  }
  auto session = pv::cli::open_session_or_explain(vm, "pv status");
  if (!session) return pv::cli::kExitUsage;
  fmt::print("{}", pv::report::render_status(session->report));
  return session->report.errors.empty() ? pv::cli::kExitOk : pv::cli::kExitUsage;
}

}  // namespace

PV_COMMAND(status, "status", "one line per contract: stages SHIPPED / PARTIAL / PENDING, over-claims", run_status);
