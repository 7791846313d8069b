#pragma once
// The option parsing every simple subcommand shares: parse, then either report a usage error
// (exit 2), print the option list for --help (exit 0), or let the command go on.
#include <boost/program_options.hpp>

#include <optional>
#include <string>
#include <vector>

namespace pv::cli {

// Returns the exit code the command should return now, or nullopt to continue.
std::optional<int> parse_or_help(const char* command, const std::vector<std::string>& args,
                                 const boost::program_options::options_description& desc,
                                 boost::program_options::variables_map& vm);

}  // namespace pv::cli
