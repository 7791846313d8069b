#include "harness/validate/validate.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <filesystem>
#include <system_error>

#include "harness/contract/loader.hpp"
#include "harness/validate/cross_file.hpp"

namespace pv::validate {
namespace fs = std::filesystem;

std::size_t Report::errors() const {
  return std::count_if(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::error; });
}
std::size_t Report::warnings() const { return findings.size() - errors(); }

namespace {

bool is_yaml(const fs::path& p) { return p.extension() == ".yaml" || p.extension() == ".yml"; }

Finding io_error(const std::string& path, const std::string& what) {
  return Finding{"io-error", Severity::error, contract::SourceLoc{path, 0, 0}, what,
                 "check the path and its permissions"};
}

void finish(Report& r, const Options& options) {
  check_unique_ids(r.contracts, r.findings);
  check_references(r.contracts, r.findings);
  check_dependencies(r.contracts, r.findings);
  for (const auto& c : r.contracts) {
    check_names(c, r.findings);
    check_coverage(c, r.findings);
  }
  check_implementations(r.contracts, options, r.findings);
  std::stable_sort(r.findings.begin(), r.findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.loc.file, a.loc.line, a.loc.column, a.rule) < std::tie(b.loc.file, b.loc.line, b.loc.column, b.rule);
  });
}

void absorb(Report& r, contract::LoadResult&& loaded) {
  for (auto& f : loaded.findings) {
    if (f.rule == "io-error") r.io_failed = true;
    r.findings.push_back(std::move(f));
  }
  if (loaded.contract) r.contracts.push_back(std::move(*loaded.contract));
}

}  // namespace

std::vector<std::string> collect_files(const std::vector<std::string>& paths, std::vector<Finding>& io_errors) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      io_errors.push_back(io_error(p, "no such file or directory"));
    } else if (fs::is_directory(st)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
      for (; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec) && is_yaml(it->path())) found.push_back(it->path().string());
      if (ec) io_errors.push_back(io_error(p, "cannot list the directory: " + ec.message()));
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  // The same file named twice (a file and its directory) is checked once.
  std::vector<std::string> unique;
  for (const auto& f : files)
    if (std::find(unique.begin(), unique.end(), f) == unique.end()) unique.push_back(f);
  return unique;
}

Report validate_paths(const std::vector<std::string>& paths, const Options& options) {
  Report r;
  std::vector<Finding> io;
  r.files = collect_files(paths, io);
  r.io_failed = !io.empty();
  r.findings = std::move(io);
  // Files load independently, so they load in parallel; results are merged in file order.
  std::vector<contract::LoadResult> loaded(r.files.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < loaded.size(); i = next++) loaded[i] = contract::load_contract_file(r.files[i], options.limits);
  };
  std::size_t n_threads = std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), loaded.size() / 8 + 1);
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < n_threads; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  for (auto& l : loaded) absorb(r, std::move(l));
  finish(r, options);
  return r;
}

Report validate_sources(const std::vector<Source>& sources, const Options& options) {
  Report r;
  for (const auto& s : sources) {
    r.files.push_back(s.file);
    absorb(r, contract::load_contract_text(s.text, s.file, options.limits));
  }
  finish(r, options);
  return r;
}

}  // namespace pv::validate
