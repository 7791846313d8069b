#pragma once
// From loaded contracts and the command line to the list of tasks: one per declared
// falsifier and requested backend it declares, in contract order.
#include <cstdint>
#include <string>
#include <vector>

#include "harness/contract/model.hpp"
#include "harness/run/task.hpp"

namespace pv::run {

struct PlanOptions {
  std::vector<std::string> backends = {"cpu", "cuda"};  // requested
  std::vector<std::string> only;  // exact IDs; each must be declared by a contract
  std::string filter;             // ECMAScript regex searched in the ID
  std::uint64_t seed = 0;
  std::string model_path;
  bool synthetic_model = true;
  std::string fixtures_dir, source_dir;
  std::string contracts_dir = "contracts";
  std::string model_arg;          // --model as given (empty for the synthetic model)
};

struct Plan {
  std::vector<Task> tasks;
  std::vector<std::string> errors;    // usage problems (--only names an undeclared ID, bad regex)
  std::vector<std::string> warnings;  // implementations no contract declares
};

Plan make_plan(const std::vector<contract::Contract>& contracts, const PlanOptions& opt);

// The one command line that reproduces a task's result.
std::string reproduce_line(const PlanOptions& opt, const std::string& id, const std::string& backend);

}  // namespace pv::run
