#include "harness/report/session.hpp"

#include <algorithm>
#include <filesystem>

namespace pv::report {

std::vector<std::string> default_evidence(const std::string& repo_root) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  const fs::path dir = fs::path(repo_root) / "reports" / "evidence";
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".json") out.push_back(it->path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::unique_ptr<Session> open_session(const SessionOptions& o, std::vector<std::string>& errors) {
  auto s = std::make_unique<Session>();
  s->contracts = load_contracts(o.contracts);
  if (!s->contracts.errors.empty()) {
    errors = s->contracts.errors;
    return nullptr;
  }
  s->evidence_paths = o.evidence.empty() ? default_evidence(o.repo_root) : o.evidence;
  s->report = derive(s->contracts.contracts, load_evidence(s->evidence_paths), Options{o.repo_root});
  return s;
}

}  // namespace pv::report
