// Every file of the shared corpus (another tool's contracts, kept read-only beside the
// checkout as shared/corpus) goes through the validator without a crash, and the number of
// findings per rule is pinned in corpus_counts.txt so any change of behaviour is visible.
// The corpus must be present: a missing corpus fails this test, it is never skipped.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "harness/validate/tests/test_util.hpp"

using namespace pv::validate;

namespace {

std::string corpus_dir() {
  if (const char* env = std::getenv("PV_CORPUS_DIR")) return env;  // a corpus elsewhere
  return PV_SOURCE_DIR "/../shared/corpus";
}

std::map<std::string, std::size_t> pinned_counts() {
  std::map<std::string, std::size_t> out;
  std::istringstream in(test::read_file(PV_SOURCE_DIR "/harness/validate/tests/corpus_counts.txt"));
  std::string line;
  while (std::getline(in, line)) {
    auto w = test::words(line);
    if (w.size() == 2 && w[0][0] != '#') out[w[0]] = std::stoul(w[1]);
  }
  return out;
}

}  // namespace

TEST_CASE("validate: the shared corpus validates without a crash and with the pinned counts", "[validate][corpus]") {
  std::string dir = corpus_dir();
  INFO("corpus directory: " << dir << " (set PV_CORPUS_DIR to point elsewhere)");
  REQUIRE(std::filesystem::is_directory(dir));
  Report r = validate_paths({dir}, {});
  std::map<std::string, std::size_t> counts;
  counts["files"] = r.files.size();
  for (const auto& f : r.findings) ++counts[f.rule];
  std::string table;
  for (const auto& [rule, n] : counts) table += rule + " " + std::to_string(n) + "\n";
  INFO("actual counts (paste into harness/validate/tests/corpus_counts.txt if the change is intended):\n" << table);
  CHECK(!r.io_failed);
  CHECK(counts == pinned_counts());
}
