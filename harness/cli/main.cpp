// `pv`: contract-driven verification. `pv --help` lists the commands; `pv CMD --help` each one.
#include <fmt/core.h>

#include <exception>
#include <string>
#include <vector>

#include "harness/cli/command.hpp"

namespace {

void print_usage() {
  fmt::print("pv {}: contract-driven verification for a Qwen3-MoE CPU/CUDA engine\n\n", PV_VERSION);
  fmt::print("usage: pv <command> [options]     pv <command> --help\n\ncommands:\n");
  for (const auto& c : pv::cli::all_commands()) fmt::print("  {:<12} {}\n", c.name, c.summary);
  fmt::print("\nexit codes: 0 success, 1 check failed, 2 usage or I/O error\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage();
    return args.empty() ? pv::cli::kExitUsage : pv::cli::kExitOk;
  }
  if (args[0] == "--version") {
    fmt::print("pv {}\n", PV_VERSION);
    return pv::cli::kExitOk;
  }
  const pv::cli::Command* cmd = pv::cli::find_command(args[0]);
  if (cmd == nullptr) {
    fmt::print(stderr, "pv: unknown command '{}'; `pv --help` lists the commands\n", args[0]);
    return pv::cli::kExitUsage;
  }
  try {
    return cmd->run(std::vector<std::string>(args.begin() + 1, args.end()));
  } catch (const std::exception& e) {
    fmt::print(stderr, "pv {}: error: {}\n", args[0], e.what());
    return pv::cli::kExitUsage;
  }
}
