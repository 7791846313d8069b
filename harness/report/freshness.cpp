#include "harness/report/freshness.hpp"

#include <filesystem>

#include "harness/evidence/fingerprint.hpp"

namespace pv::report {

std::string Freshness::current_contract_hash(const contract::Contract& c) {
  auto it = contract_cache_.find(c.path);
  if (it != contract_cache_.end()) return it->second;
  std::string h;
  try {
    h = evidence::contract_fingerprint(c);
  } catch (const evidence::EvidenceError&) {
    h = "";  // a contract we cannot hash cannot vouch for any evidence
  }
  return contract_cache_[c.path] = h;
}

std::string Freshness::current_source_hash(const std::string& group) {
  auto it = source_cache_.find(group);
  if (it != source_cache_.end()) return it->second;
  std::string h;
  // Paths are relative to the repository root; an absolute or escaping path cannot be
  // re-checked on another machine, so it never matches.
  std::filesystem::path rel(group);
  bool escapes = rel.is_absolute();
  for (const auto& part : rel.lexically_normal())
    if (part == "..") escapes = true;
  if (!escapes) {
    try {
      h = evidence::sha256_path((std::filesystem::path(root_) / rel).string());
    } catch (const evidence::EvidenceError&) {
      h = "";
    }
  }
  return source_cache_[group] = h;
}

std::vector<std::string> Freshness::stale_reasons(const evidence::EvidenceFile& file,
                                                  const evidence::FalsifierResult& r,
                                                  const contract::Contract& c) {
  std::vector<std::string> reasons;
  auto recorded = file.contract_hashes.find(c.name);
  const std::string now = current_contract_hash(c);
  if (recorded == file.contract_hashes.end())
    reasons.push_back("no hash recorded for contract " + c.name);
  else if (now.empty())
    reasons.push_back("contract file " + c.path + " cannot be read");
  else if (recorded->second != now)
    reasons.push_back("contract " + c.name + " changed since the run");
  for (const auto& [group, hash] : r.source_hashes) {
    const std::string cur = current_source_hash(group);
    if (hash == evidence::kMissingSource)
      reasons.push_back(group + " did not exist when the run was made");
    else if (cur.empty())
      reasons.push_back(group + " is missing or unreadable now");
    else if (cur != hash)
      reasons.push_back(group + " changed since the run");
  }
  return reasons;
}

}  // namespace pv::report
