// `pv validate PATH...`: strict checks of contract files, alone and together.
#include <fmt/core.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <set>

#include "falsifiers/framework/registry.hpp"
#include "harness/cli/command.hpp"
#include "harness/validate/format.hpp"
#include "harness/validate/validate.hpp"

namespace po = boost::program_options;

namespace {

constexpr const char* kHelp = R"(usage: pv validate PATH... [--format text|json|sarif|github] [--implementations MODE]

Checks contract files strictly (syntax, keys, types, enums, IDs, versions, dates) and all of
them together (unique IDs, references, dependency cycles, coverage, implementations).
PATH is a file or a directory, searched recursively for *.yaml and *.yml.
The rules are documented in contracts/SCHEMA.md.

--implementations MODE compares the falsifiers the contracts declare with those registered
in this pv binary:
  declared  a declared falsifier without an implementation is an error
  all       also an implementation that no contract declares is an error
  off       no implementation checks
  auto      (default) `all` when a PATH is a directory named `contracts` (the complete
            set), otherwise `declared`

exit codes: 0 valid (warnings allowed), 1 errors found, 2 usage or I/O error
)";

int run_validate(const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("help,h", "show this help")(
      "format", po::value<std::string>()->default_value("text"), "text, json, sarif or github")(
      "implementations", po::value<std::string>()->default_value("auto"), "auto, all, declared or off")(
      "path", po::value<std::vector<std::string>>(), "contract files or directories");
  po::positional_options_description pos;
  pos.add("path", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "pv validate: {}\n\n{}", e.what(), kHelp);
    return pv::cli::kExitUsage;
  }
  if (vm.count("help")) {
    fmt::print("{}", kHelp);
    return pv::cli::kExitOk;
  }
  pv::validate::Format format{};
  if (!pv::validate::parse_format(vm["format"].as<std::string>(), format)) {
    fmt::print(stderr, "pv validate: unknown --format '{}' (text, json, sarif, github)\n", vm["format"].as<std::string>());
    return pv::cli::kExitUsage;
  }
  if (!vm.count("path")) {
    fmt::print(stderr, "pv validate: give at least one contract file or directory\n\n{}", kHelp);
    return pv::cli::kExitUsage;
  }
  auto paths = vm["path"].as<std::vector<std::string>>();
  std::string mode = vm["implementations"].as<std::string>();
  if (mode == "auto") {
    mode = "declared";
    for (const auto& p : paths) {
      std::error_code ec;
      if (!std::filesystem::is_directory(p, ec)) continue;
      auto dir = std::filesystem::weakly_canonical(p, ec);
      if (dir.filename().empty()) dir = dir.parent_path();  // "contracts/" names "contracts"
      if (dir.filename() == "contracts") mode = "all";
    }
  }
  pv::validate::Options options;
  if (mode == "declared" || mode == "all") {
    auto ids = pv::falsify::registered_falsifier_ids();
    options.implemented = std::set<std::string>(ids.begin(), ids.end());
    options.check_orphans = mode == "all";
  } else if (mode != "off") {
    fmt::print(stderr, "pv validate: unknown --implementations '{}' (auto, all, declared, off)\n", mode);
    return pv::cli::kExitUsage;
  }
  pv::validate::Report report = pv::validate::validate_paths(paths, options);
  std::cout << pv::validate::format_report(report, format, PV_VERSION);
  if (report.io_failed) return pv::cli::kExitUsage;
  return report.errors() > 0 ? pv::cli::kExitFailed : pv::cli::kExitOk;
}

}  // namespace

PV_COMMAND(validate, "validate", "check contract files strictly, alone and together", run_validate);
