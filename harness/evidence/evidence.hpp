#pragma once
// Evidence: what `pv run` observed, in a versioned JSON format (harness/evidence/FORMAT.md).
// `pv report` derives stage statuses only from these files.
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace pv::evidence {

inline constexpr const char* kFormat = "pv-evidence";
inline constexpr int kFormatVersion = 1;
// source_hashes value for a source path that did not exist at run time (never fresh).
inline constexpr const char* kMissingSource = "missing";

enum class Verdict { PASS, FAIL, SKIP, ERROR, CRASH, TIMEOUT };
const char* to_string(Verdict v);
Verdict verdict_from_string(const std::string& s);  // throws EvidenceError

struct Measurement {
  std::string metric;
  double value = 0;       // NaN is written as null
  std::string op;         // comparison from the contract, e.g. ">="
  double threshold = 0;
  std::string unit;
  bool passed = false;
};

struct FalsifierResult {
  std::string id;         // FALSIFY-...
  std::string contract;   // contract name that declares it
  std::string backend;    // cpu | cuda
  Verdict verdict = Verdict::ERROR;
  std::vector<Measurement> measurements;
  std::string message;         // why it failed / was skipped
  std::string counterexample;  // shrunk input, for FAIL
  std::string reproduce;       // one command line that reproduces this result
  std::uint64_t seed = 0;
  double seconds = 0;
  // Engine source groups this falsifier exercises ("engine/cpu", ...) -> SHA-256 at run time.
  std::map<std::string, std::string> source_hashes;
};

struct Machine {
  std::string hostname, cpu_model, gpu_name, gpu_driver, cuda_version;
  int cpu_threads = 0;
};

struct EvidenceFile {
  std::string format = kFormat;
  int version = kFormatVersion;
  std::string tool_version;
  std::string git_commit;   // "unknown" outside a git checkout
  std::string started, finished;  // ISO 8601 UTC
  Machine machine;
  std::uint64_t seed = 0;
  std::string model;        // "synthetic:tiny@seed" or a GGUF path
  // contract name -> contract_fingerprint (harness/evidence/fingerprint.hpp): what the
  // falsifiers ran against, not the declared statuses, so writing a status keeps evidence fresh.
  std::map<std::string, std::string> contract_hashes;
  std::vector<FalsifierResult> results;
};

struct EvidenceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Writes to PATH.tmp.<pid> and renames over PATH: a crash never leaves a half-written file.
void write_atomic(const EvidenceFile& ev, const std::string& path);
// Reads and checks format, version and types; throws EvidenceError naming file and field.
EvidenceFile read(const std::string& path);

std::string to_json_text(const EvidenceFile& ev);
EvidenceFile from_json_text(const std::string& text, const std::string& origin);

// SHA-256 (hex) of a file's bytes, and of a directory tree (sorted relative paths + contents).
std::string sha256_text(const std::string& text);
std::string sha256_file(const std::string& path);
std::string sha256_tree(const std::string& dir);
// sha256_tree for a directory, sha256_file for anything else: how `pv run` hashes a source
// group ("engine/cpu" or "engine/moe/engine.hpp") and how `pv report` re-checks it.
std::string sha256_path(const std::string& path);

}  // namespace pv::evidence
