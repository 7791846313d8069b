// libFuzzer target: the contract loader and the per-contract and cross-file checks must never
// crash, hang, leak or hit undefined behaviour on any input. Run through ci/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/validate/format.hpp"
#include "harness/validate/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  pv::validate::Options options;
  options.implemented = std::set<std::string>{"FALSIFY-MOE-ROUTER-001"};
  options.check_orphans = true;
  // Two copies exercise the cross-file rules (duplicate IDs, dependency cycles) as well.
  auto report = pv::validate::validate_sources({{"fuzz-contract.yaml", text}, {"copy.yaml", text}}, options);
  (void)pv::validate::format_sarif(report, "fuzz");
  (void)pv::validate::format_text(report);
  return 0;
}
