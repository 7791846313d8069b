#pragma once
// A throw-away repository for report tests: one contract file, one engine source folder, and
// helpers that write evidence whose hashes match the tree as it is when they are written.
#include <filesystem>
#include <string>
#include <vector>

#include "harness/report/report.hpp"

namespace pv::report::testing {

using evidence::Verdict;

// Contract "toy-v1": obligations AC_A, AC_B, AC_C.
//   F-A discharges AC_A on cpu, cuda;  F-B discharges AC_B on cpu, cuda;  F-C discharges AC_C on cpu.
//   Stages: S-CPU (cpu; AC_A, AC_B, AC_C), S-CUDA (cuda; AC_A, AC_B), S-CUDA-C (cuda; AC_C),
//           S-ANY (no backends listed; AC_A).
struct World {
  std::filesystem::path root;
  std::vector<contract::Contract> contracts;
  std::vector<std::string> evidence_paths;

  explicit World(const std::string& tag);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  contract::Stage& stage(const std::string& id);
  void write(const std::string& rel, const std::string& text) const;

  evidence::FalsifierResult result(const std::string& id, const std::string& backend, Verdict v) const;
  // Writes an evidence file with hashes of the current tree; returns its path.
  std::string add_evidence(const std::vector<evidence::FalsifierResult>& results,
                           const std::string& finished = "2025-11-26T01:00:00Z",
                           const std::string& host = "cpu-box");
  Report derive_now() const;
};

}  // namespace pv::report::testing
