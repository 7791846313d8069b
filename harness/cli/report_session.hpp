#pragma once
// What `pv report` and `pv status` share on the command line: the --evidence / --contracts /
// --root options and opening the report session, with the same errors and exit code.
#include <boost/program_options.hpp>
#include <fmt/core.h>
#include <memory>
#include <string>
#include <vector>

#include "harness/cli/command.hpp"
#include "harness/report/session.hpp"

namespace pv::cli {

inline void add_session_options(boost::program_options::options_description& opts) {
  namespace po = boost::program_options;
  opts.add_options()("evidence", po::value<std::vector<std::string>>()->multitoken(), "evidence files")(
      "contracts", po::value<std::string>()->default_value("contracts"), "contracts")(
      "root", po::value<std::string>()->default_value("."), "repository root");
}

// Null after printing why (prefixed with `cmd`, e.g. "pv report") when the contracts do not
// load; the caller then exits with kExitUsage.
inline std::unique_ptr<report::Session> open_session_or_explain(const boost::program_options::variables_map& vm,
                                                                const char* cmd) {
  report::SessionOptions so;
  if (vm.count("evidence")) so.evidence = vm["evidence"].as<std::vector<std::string>>();
  so.contracts = vm["contracts"].as<std::string>();
  so.repo_root = vm["root"].as<std::string>();
  std::vector<std::string> errors;
  auto session = report::open_session(so, errors);
  if (!session) {
    for (const auto& e : errors) fmt::print(stderr, "{}: {}\n", cmd, e);
    fmt::print(stderr, "{}: the contracts do not load; fix them first (`pv validate {}`)\n", cmd, so.contracts);
  }
  return session;
}

}  // namespace pv::cli
