#pragma once
// Is a result still about the current tree? It is stale when its evidence file recorded a
// different hash for the contract that declares the falsifier, or for any source group the
// falsifier exercised. Hashes of the current tree are computed once per contract / path.
#include <map>
#include <string>
#include <vector>

#include "harness/contract/model.hpp"
#include "harness/evidence/evidence.hpp"

namespace pv::report {

class Freshness {
 public:
  explicit Freshness(std::string repo_root) : root_(std::move(repo_root)) {}
  // Reasons the result is stale; empty when it is fresh.
  std::vector<std::string> stale_reasons(const evidence::EvidenceFile& file, const evidence::FalsifierResult& r,
                                         const contract::Contract& c);

 private:
  std::string current_contract_hash(const contract::Contract& c);  // "" when unreadable
  std::string current_source_hash(const std::string& group);      // "" when missing/unreadable
  std::string root_;
  std::map<std::string, std::string> contract_cache_, source_cache_;
};

}  // namespace pv::report
