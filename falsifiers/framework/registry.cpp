#include "falsifiers/framework/registry.hpp"

#include <map>
#include <stdexcept>

#include "falsifiers/framework/falsifier.hpp"

namespace pv::falsify {
namespace {
std::map<std::string, FalsifierInfo>& table() {
  static std::map<std::string, FalsifierInfo> t;  // filled by static Registrars before main()
  return t;
}
}  // namespace

void register_falsifier(const FalsifierInfo& info) {
  if (!table().emplace(info.id, info).second)
    throw std::logic_error("falsifier registered twice: " + info.id);
}

const FalsifierInfo* find_falsifier(const std::string& id) {
  auto it = table().find(id);
  return it == table().end() ? nullptr : &it->second;
}

std::vector<std::string> registered_falsifier_ids() {
  std::vector<std::string> ids;
  for (const auto& [id, info] : table()) ids.push_back(id);
  return ids;
}

}  // namespace pv::falsify
