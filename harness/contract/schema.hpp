#pragma once
// The keys each section of a contract may hold. The loader rejects any other key (with a
// did-you-mean), and a test checks contracts/schema/pv-contract.schema.json lists the same keys.
#include <string>
#include <string_view>
#include <vector>

namespace pv::contract::schema {

struct Section {
  std::string_view name;  // "contract", "metadata", "falsification_tests[]", ...
  std::vector<std::string_view> keys;
  std::vector<std::string_view> required;
};

const std::vector<Section>& sections();
const Section& section(std::string_view name);

// Allowed enum values, in the order SCHEMA.md lists them.
const std::vector<std::string_view>& contract_kinds();
const std::vector<std::string_view>& contract_statuses();
const std::vector<std::string_view>& obligation_types();
const std::vector<std::string_view>& amendment_kinds();
const std::vector<std::string_view>& stage_statuses();
const std::vector<std::string_view>& backends();
const std::vector<std::string_view>& falsifier_kinds();
const std::vector<std::string_view>& threshold_ops();

}  // namespace pv::contract::schema
