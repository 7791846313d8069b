#pragma once
// A finding: one thing wrong with a contract, with where it is and what to do about it.
// The loader (structure, types, formats) and the validator (cross-file rules) both produce
// them; harness/validate/rules.cpp lists every rule ID and contracts/SCHEMA.md documents it.
#include <string>
#include <vector>

#include "harness/contract/model.hpp"

namespace pv::contract {

enum class Severity { error, warning };

struct Finding {
  std::string rule;  // stable rule ID, e.g. "unknown-key"
  Severity severity = Severity::error;
  SourceLoc loc;
  std::string message;  // what is wrong
  std::string hint;     // what to do
};

const char* to_string(Severity s);

}  // namespace pv::contract
