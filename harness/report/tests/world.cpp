#include "harness/report/tests/world.hpp"

#include "harness/evidence/fingerprint.hpp"

#include <unistd.h>

#include <fstream>

#include "harness/evidence/fingerprint.hpp"

namespace pv::report::testing {

namespace fs = std::filesystem;
using contract::Backend;

namespace {
contract::FalsificationTest falsifier(const std::string& id, const std::string& ob, std::vector<Backend> b) {
  contract::FalsificationTest t;
  t.id = id;
  t.discharges = {ob};
  t.backends = std::move(b);
  return t;
}
contract::Stage make_stage(const std::string& id, std::vector<Backend> b, std::vector<std::string> obs) {
  contract::Stage s;
  s.id = id;
  s.backends = std::move(b);
  s.expected_acceptance = std::move(obs);
  return s;
}
}  // namespace

World::World(const std::string& tag) {
  static int counter = 0;
  root = fs::temp_directory_path() / ("pv-report-" + tag + "-" + std::to_string(::getpid()) + "-" +
                                      std::to_string(counter++));
  fs::remove_all(root);
  write("contracts/toy-v1.yaml", "name: toy-v1\n");
  write("engine/cpu/kernel.cpp", "int kernel() { return 1; }\n");
  contract::Contract c;
  c.name = "toy-v1";
  c.path = (root / "contracts/toy-v1.yaml").string();
  for (const char* ob : {"AC_A", "AC_B", "AC_C"}) c.proof_obligations.push_back({ob, "invariant", "", "", {}, {}});
  c.falsification_tests = {falsifier("F-A", "AC_A", {Backend::cpu, Backend::cuda}),
                           falsifier("F-B", "AC_B", {Backend::cpu, Backend::cuda}),
                           falsifier("F-C", "AC_C", {Backend::cpu})};
  c.implementation_stages = {make_stage("S-CPU", {Backend::cpu}, {"AC_A", "AC_B", "AC_C"}),
                             make_stage("S-CUDA", {Backend::cuda}, {"AC_A", "AC_B"}),
                             make_stage("S-CUDA-C", {Backend::cuda}, {"AC_C"}),
                             make_stage("S-ANY", {}, {"AC_A"})};
  contracts.push_back(std::move(c));
}

World::~World() { fs::remove_all(root); }

contract::Stage& World::stage(const std::string& id) {
  for (auto& s : contracts[0].implementation_stages)
    if (s.id == id) return s;
  throw std::runtime_error("no stage " + id);
}

void World::write(const std::string& rel, const std::string& text) const {
  fs::create_directories((root / rel).parent_path());
  std::ofstream(root / rel, std::ios::binary) << text;
}

evidence::FalsifierResult World::result(const std::string& id, const std::string& backend, Verdict v) const {
  evidence::FalsifierResult r;
  r.id = id;
  r.contract = "toy-v1";
  r.backend = backend;
  r.verdict = v;
  r.measurements.push_back({"max_error", v == Verdict::PASS ? 1e-7 : 0.5, "<=", 1e-6, "", v == Verdict::PASS});
  r.reproduce = "pv run --falsifier " + id + " --backend " + backend;
  r.source_hashes["engine/cpu"] = evidence::sha256_path((root / "engine/cpu").string());
  return r;
}

std::string World::add_evidence(const std::vector<evidence::FalsifierResult>& results, const std::string& finished,
                                const std::string& host) {
  evidence::EvidenceFile ev;
  ev.tool_version = "0.1.0";
  ev.git_commit = "unknown";
  ev.started = "2025-11-26T00:59:00Z";
  ev.finished = finished;
  ev.machine.hostname = host;
  ev.machine.cpu_model = "Test CPU";
  ev.machine.cpu_threads = 2;
  if (host.find("gpu") != std::string::npos) ev.machine.gpu_name = "NVIDIA H100";
  ev.model = "synthetic:tiny@1";
  ev.contract_hashes["toy-v1"] = evidence::contract_fingerprint(contracts[0]);
  ev.results = results;
  std::string path = (root / ("evidence/run" + std::to_string(evidence_paths.size()) + ".json")).string();
  fs::create_directories(root / "evidence");
  evidence::write_atomic(ev, path);
  evidence_paths.push_back(path);
  return path;
}

Report World::derive_now() const {
  return derive(contracts, load_evidence(evidence_paths), Options{root.string()});
}

}  // namespace pv::report::testing
