// `pv run`: executes the falsifiers the contracts declare against the engine backends.
// Each falsifier runs in its own child process with a time limit (harness/run), so a crash
// is CRASH and a hang TIMEOUT. Exit: 0 when nothing FAILed, ERRORed, CRASHed or TIMED OUT
// (SKIPs are listed and counted, never as passes; --fail-on-skip makes them fail the run too),
// 1 otherwise, 2 for usage or I/O problems.
#include <fmt/core.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <random>

#include "harness/cli/command.hpp"
#include "harness/contract/loader.hpp"
#include "harness/run/collect.hpp"
#include "harness/run/isolate.hpp"
#include "harness/run/junit.hpp"
#include "harness/run/model_source.hpp"
#include "harness/run/plan.hpp"
#include "harness/run/runner.hpp"
#include "harness/run/summary.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

struct Args {
  std::string contracts = "contracts", backend = "all", filter, model, evidence, junit, fixtures;
  std::vector<std::string> only;
  std::uint64_t seed = 0;
  bool seed_given = false, fail_on_skip = false, list = false, verbose = false;
  int jobs = 1;
  double timeout = 300;
};

// Loads every *.yaml directly under dir, sorted; false (after printing findings) if any is invalid.
bool load_contracts(const std::string& dir, std::vector<pv::contract::Contract>& out) {
  if (!fs::is_directory(dir)) {
    fmt::print(stderr, "pv run: contracts directory '{}' not found (use --contracts DIR)\n", dir);
    return false;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  bool ok = true;
  for (const auto& f : files) {
    auto r = pv::contract::load_contract_file(f.string());
    for (const auto& x : r.findings)
      if (x.severity == pv::contract::Severity::error)
        fmt::print(stderr, "{}:{}:{}: error: {} [{}]\n", x.loc.file, x.loc.line, x.loc.column, x.message, x.rule);
    if (!r.ok()) ok = false;
    else out.push_back(*r.contract);
  }
  if (!ok) fmt::print(stderr, "pv run: fix the contracts first (`pv validate {}` lists every problem)\n", dir);
  if (files.empty()) {
    fmt::print(stderr, "pv run: no *.yaml contracts in '{}'\n", dir);
    ok = false;
  }
  return ok;
}

// The repository root: the folder holding the contracts folder (source groups and fixtures
// are found relative to it).
std::string repo_root_of(const std::string& contracts_dir) {
  fs::path p = fs::absolute(contracts_dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.parent_path().string();
}

std::vector<std::string> backends_for(const std::string& b) {
  if (b == "all") return {"cpu", "cuda"};
  if (b == "cpu" || b == "cuda") return {b};
  throw po::error("--backend must be cpu, cuda or all (got '" + b + "')");
}

int run(const std::vector<std::string>& argv) {
  Args a;
  po::options_description desc(
      "pv run [options]: run the falsifiers the contracts declare, each isolated with a time limit.\n"
      "Exit 0 if nothing FAILed/ERRORed/CRASHed/TIMED OUT (SKIP is never a pass, see\n"
      "--fail-on-skip), 1 otherwise, 2 on usage or I/O errors.\n\noptions");
  desc.add_options()
      ("help,h", "show this help")
      ("contracts", po::value(&a.contracts), "contracts directory (default contracts/)")
      ("backend", po::value(&a.backend), "cpu, cuda or all (default all); a falsifier runs once per requested backend it declares")
      ("only", po::value(&a.only)->multitoken(), "run only these falsifier IDs")
      ("filter", po::value(&a.filter), "run only IDs matching this regular expression")
      ("seed", po::value(&a.seed), "seed for every generator (default: random, printed)")
      ("model", po::value(&a.model), "a Qwen3-MoE GGUF file (default: a tiny synthetic model)")
      ("jobs,j", po::value(&a.jobs), "falsifiers run in parallel (performance ones always alone)")
      ("evidence", po::value(&a.evidence), "write the evidence JSON here (atomically)")
      ("junit", po::value(&a.junit), "write JUnit XML here")
      ("timeout", po::value(&a.timeout), "seconds per falsifier before it is killed (TIMEOUT), default 300")
      ("fixtures", po::value(&a.fixtures), "golden fixtures directory (default <repo>/falsifiers/golden)")
      ("fail-on-skip", po::bool_switch(&a.fail_on_skip), "exit 1 when any falsifier is SKIPped")
      ("list", po::bool_switch(&a.list), "list the planned falsifier runs and exit")
      ("verbose,v", po::bool_switch(&a.verbose), "print each falsifier's output after it finishes");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argv).options(desc).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return pv::cli::kExitOk;
    }
    if (a.jobs < 1) throw po::error("--jobs must be at least 1");
    if (!(a.timeout > 0)) throw po::error("--timeout must be positive");
    a.seed_given = vm.count("seed") != 0;
    backends_for(a.backend);
  } catch (const po::error& e) {
    fmt::print(stderr, "pv run: {}\n{}", e.what(), "`pv run --help` lists the options\n");
    return pv::cli::kExitUsage;
  }
  if (!a.seed_given) a.seed = std::random_device{}() | (static_cast<std::uint64_t>(std::random_device{}()) << 32);

  std::vector<pv::contract::Contract> contracts;
  if (!load_contracts(a.contracts, contracts)) return pv::cli::kExitUsage;

  pv::run::PlanOptions po_;
  po_.backends = backends_for(a.backend);
  po_.only = a.only;
  po_.filter = a.filter;
  po_.seed = a.seed;
  po_.contracts_dir = a.contracts;
  po_.source_dir = repo_root_of(a.contracts);
  po_.fixtures_dir = a.fixtures.empty() ? po_.source_dir + "/falsifiers/golden" : a.fixtures;
  po_.model_arg = a.model;
  auto plan = pv::run::make_plan(contracts, po_);
  for (const auto& w : plan.warnings) fmt::print(stderr, "pv run: warning: {}\n", w);
  for (const auto& e : plan.errors) fmt::print(stderr, "pv run: {}\n", e);
  if (!plan.errors.empty()) return pv::cli::kExitUsage;
  if (a.list) {
    for (const auto& t : plan.tasks) fmt::print("{:<36} {:<4} {:<11} {}\n", t.id, t.backend, t.kind, t.contract);
    return pv::cli::kExitOk;
  }
  if (plan.tasks.empty()) {
    fmt::print(stderr, "pv run: nothing to run (check --only / --filter / --backend)\n");
    return pv::cli::kExitUsage;
  }

  pv::run::ModelSource model = pv::run::prepare_model(a.model, a.seed);
  for (auto& t : plan.tasks) {
    t.ctx.model_path = model.path;
    t.ctx.synthetic_model = model.synthetic;
  }
  fmt::print(stderr, "pv run: {} falsifier run(s), seed {}, model {}, {} job(s)\n", plan.tasks.size(), a.seed,
             model.description, a.jobs);

  pv::run::RunOptions ro;
  ro.jobs = a.jobs;
  ro.timeout_s = a.timeout;
  ro.log_dir = model.work_dir;
  const bool tty = ::isatty(STDERR_FILENO);
  pv::run::RunInfo info;
  info.started = pv::run::utc_now_iso8601();
  auto results = pv::run::run_tasks(plan.tasks, ro, [&](const auto& r, std::size_t done, std::size_t total) {
    std::string line = pv::run::progress_line(r, done, total);
    if (tty && r.verdict != pv::evidence::Verdict::PASS) line = "\033[1m" + line + "\033[0m";
    fmt::print(stderr, "{}", line);
    if (a.verbose) {
      std::string log = pv::run::tail_of_file(model.work_dir + "/" + r.id + "." + r.backend + ".log", 20000);
      if (!log.empty()) fmt::print(stderr, "---- output of {} [{}] ----\n{}\n", r.id, r.backend, log);
    }
  });
  info.finished = pv::run::utc_now_iso8601();
  fmt::print("{}", pv::run::summary_table(results));

  info.tool_version = PV_VERSION;
  info.seed = a.seed;
  info.model = model.description;
  info.source_dir = po_.source_dir;
  int rc = pv::run::run_failed(pv::run::count(results), a.fail_on_skip) ? pv::cli::kExitFailed : pv::cli::kExitOk;
  std::fflush(stdout);  // the summary before our stderr lines when both go to one pipe
  try {
    if (!a.junit.empty()) pv::run::write_junit(results, a.junit);
    if (!a.evidence.empty()) {
      auto ev = pv::run::collect_evidence(plan.tasks, results, contracts, info);
      pv::evidence::write_atomic(ev, a.evidence);
      fmt::print(stderr, "pv run: evidence written to {}\n", a.evidence);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "pv run: {}\n", e.what());
    rc = pv::cli::kExitUsage;
  }
  pv::run::release_model(model);
  return rc;
}

}  // namespace

PV_COMMAND(run, "run", "run the falsifiers the contracts declare (isolated; evidence, JUnit)", run);
