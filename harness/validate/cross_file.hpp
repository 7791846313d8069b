#pragma once
// Checks that need every contract at once: unique IDs, resolvable references, dependency
// cycles, obligations nobody discharges, qa_gate counts, falsifier implementations.
#include <vector>

#include "harness/contract/model.hpp"
#include "harness/validate/validate.hpp"

namespace pv::validate {

void check_names(const contract::Contract& c, std::vector<Finding>& out);  // name vs file
void check_references(const std::vector<contract::Contract>& all, std::vector<Finding>& out);
void check_unique_ids(const std::vector<contract::Contract>& all, std::vector<Finding>& out);
void check_dependencies(const std::vector<contract::Contract>& all, std::vector<Finding>& out);
void check_coverage(const contract::Contract& c, std::vector<Finding>& out);
void check_implementations(const std::vector<contract::Contract>& all, const Options& options,
                           std::vector<Finding>& out);

}  // namespace pv::validate
