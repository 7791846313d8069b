#pragma once
// Falsifier registry: every falsifier registers under the exact ID its contract declares.
// falsifier.hpp defines what a falsifier is; this header is all the validator needs.
#include <string>
#include <vector>

namespace pv::falsify {

struct FalsifierInfo;  // falsifier.hpp

void register_falsifier(const FalsifierInfo& info);
const FalsifierInfo* find_falsifier(const std::string& id);
std::vector<std::string> registered_falsifier_ids();  // sorted

}  // namespace pv::falsify
