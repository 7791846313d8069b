#include "harness/cli/command.hpp"

#include <algorithm>
#include <map>

namespace pv::cli {
namespace {
std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> commands;  // built before main() by registrars
  return commands;
}
}  // namespace

void register_command(const Command& c) { registry()[c.name] = c; }

const Command* find_command(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<Command> all_commands() {
  std::vector<Command> out;
  for (const auto& [name, c] : registry()) out.push_back(c);
  return out;
}

}  // namespace pv::cli
