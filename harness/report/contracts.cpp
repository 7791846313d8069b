#include "harness/report/contracts.hpp"

#include <algorithm>
#include <filesystem>

#include "harness/contract/loader.hpp"

namespace pv::report {

namespace fs = std::filesystem;

LoadedContracts load_contracts(const std::string& dir_or_file) {
  LoadedContracts out;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(dir_or_file, ec)) {
    fs::recursive_directory_iterator it(dir_or_file, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      const auto ext = it->path().extension();
      if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(it->path().string());
    }
    if (ec) out.errors.push_back(dir_or_file + ": cannot list: " + ec.message());
  } else if (fs::is_regular_file(dir_or_file, ec)) {
    files.push_back(dir_or_file);
  } else {
    out.errors.push_back(dir_or_file + ": no such contract file or directory");
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    contract::LoadResult r = contract::load_contract_file(f);
    for (const auto& finding : r.findings)
      if (finding.severity == contract::Severity::error)
        out.errors.push_back(finding.loc.file + ":" + std::to_string(finding.loc.line) + ":" +
                             std::to_string(finding.loc.column) + ": " + finding.message + " (" + finding.rule + ")");
    if (r.ok()) out.contracts.push_back(std::move(*r.contract));
  }
  return out;
}

}  // namespace pv::report
