#pragma once
// Subcommand registry of `pv`. Each cmd_<name>.cpp registers one command with PV_COMMAND;
// main.cpp looks it up. Exit codes, for every command:
//   0  success (valid / all falsifiers passed / report consistent)
//   1  the check failed (findings with errors, a falsifier FAIL/ERROR/CRASH/TIMEOUT, over-claim)
//   2  usage or I/O problem (bad option, unreadable file)
#include <string>
#include <vector>

namespace pv::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  const char* name;
  const char* summary;  // one line for `pv --help`
  CommandFn run;        // receives the arguments after the command name
};

void register_command(const Command& c);
const Command* find_command(const std::string& name);
std::vector<Command> all_commands();  // sorted by name

struct CommandRegistrar {
  explicit CommandRegistrar(const Command& c) { register_command(c); }
};

}  // namespace pv::cli

#define PV_COMMAND(ident, name, summary, fn) \
  static const ::pv::cli::CommandRegistrar pv_command_registrar_##ident{{name, summary, fn}}
