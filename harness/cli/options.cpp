#include "harness/cli/options.hpp"

#include <fmt/core.h>

#include <iostream>

#include "harness/cli/command.hpp"

namespace pv::cli {

namespace po = boost::program_options;

std::optional<int> parse_or_help(const char* command, const std::vector<std::string>& args,
                                 const po::options_description& desc, po::variables_map& vm) {
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "{}: {}\n", command, e.what());
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  return std::nullopt;
}

}  // namespace pv::cli
