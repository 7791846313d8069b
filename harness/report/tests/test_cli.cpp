// `pv report` and `pv status` end to end: exit codes, --check messages, --out files.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "harness/contract/loader.hpp"
#include "harness/evidence/evidence.hpp"
#include "harness/evidence/fingerprint.hpp"

namespace fs = std::filesystem;
using namespace pv::evidence;

namespace {
struct Repo {
  fs::path root;
  explicit Repo(const std::string& tag)
      : root(fs::temp_directory_path() / ("pv-cli-" + tag + "-" + std::to_string(::getpid()))) {
    fs::remove_all(root);
    fs::create_directories(root / "contracts");
    fs::create_directories(root / "engine/cpu");
    fs::copy_file(fs::path(PV_SOURCE_DIR) / "contracts/swiglu-v1.yaml", root / "contracts/swiglu-v1.yaml");
    write("engine/cpu/mlp.cpp", "// mlp\n");
  }
  ~Repo() { fs::remove_all(root); }
  void write(const std::string& rel, const std::string& text) const { std::ofstream(root / rel) << text; }
  std::string read(const std::string& rel) const {
    std::ifstream in(root / rel);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Declares a stage's status by editing the copied contract.
  void declare(const std::string& stage, const std::string& status) {
    std::string text = read("contracts/swiglu-v1.yaml");
    std::regex re("(- id: " + stage + "\\n\\s+status: )[A-Z]+");
    write("contracts/swiglu-v1.yaml", std::regex_replace(text, re, "$1" + status));
  }
  std::string evidence(const std::vector<std::pair<std::string, std::string>>& passes) const {
    EvidenceFile ev;
    ev.tool_version = "0.1.0";
    ev.git_commit = "unknown";
    ev.started = ev.finished = "2025-11-26T01:00:00Z";
    ev.machine.hostname = "cli-test";
    ev.model = "synthetic:tiny@1";
    auto loaded = pv::contract::load_contract_file((root / "contracts/swiglu-v1.yaml").string());
    REQUIRE(loaded.ok());
    ev.contract_hashes["swiglu-v1"] = pv::evidence::contract_fingerprint(*loaded.contract);
    for (const auto& [id, backend] : passes) {
      FalsifierResult r;
      r.id = id;
      r.contract = "swiglu-v1";
      r.backend = backend;
      r.verdict = Verdict::PASS;
      r.source_hashes["engine/cpu"] = sha256_path((root / "engine/cpu").string());
      ev.results.push_back(r);
    }
    std::string path = (root / "ev.json").string();
    write_atomic(ev, path);
    return path;
  }
  // Runs pv in the repo root; returns the exit status, output in `out` (stdout then stderr).
  int pv(const std::string& args, std::string& out) const {
    std::string cmd = "cd " + root.string() + " && " + PV_BINARY + " " + args + " >out.txt 2>err.txt";
    int rc = std::system(cmd.c_str());
    out = read("out.txt") + read("err.txt");
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
};
}  // namespace

TEST_CASE("pv report: consistent statuses pass --check; an over-claim fails it with what to run") {
  Repo repo("check");
  repo.declare("M-SWIGLU-CPU", "SHIPPED");
  std::string ev = repo.evidence({{"FALSIFY-SWIGLU-001", "cpu"}, {"FALSIFY-SWIGLU-002", "cpu"}});
  std::string out;
  REQUIRE(repo.pv("report --check --evidence " + ev, out) == 0);
  REQUIRE_THAT(out, Catch::Contains("| M-SWIGLU-CPU | SHIPPED | SHIPPED | 2/2 |"));

  repo.declare("M-SWIGLU-CUDA", "SHIPPED");
  ev = repo.evidence({{"FALSIFY-SWIGLU-001", "cpu"}, {"FALSIFY-SWIGLU-002", "cpu"}});  // fresh contract hash
  REQUIRE(repo.pv("report --check --evidence " + ev, out) == 1);
  REQUIRE_THAT(out, Catch::Contains("stage M-SWIGLU-CUDA declares SHIPPED but evidence shows PENDING") &&
                        Catch::Contains("missing obligations: AC_SWIGLU_001") &&
                        Catch::Contains("FALSIFY-SWIGLU-001 on cuda [missing]"));
  REQUIRE(repo.pv("status --evidence " + ev, out) == 0);
  REQUIRE_THAT(out, Catch::Contains("swiglu-v1  1 SHIPPED  0 PARTIAL  1 PENDING  over-claims: M-SWIGLU-CUDA"));
}

TEST_CASE("pv report: editing an engine source makes the evidence stale") {
  Repo repo("stale");
  repo.declare("M-SWIGLU-CPU", "SHIPPED");
  std::string ev = repo.evidence({{"FALSIFY-SWIGLU-001", "cpu"}, {"FALSIFY-SWIGLU-002", "cpu"}});
  repo.write("engine/cpu/mlp.cpp", "// mlp, changed\n");
  std::string out;
  REQUIRE(repo.pv("report --check --evidence " + ev, out) == 1);
  REQUIRE_THAT(out, Catch::Contains("2 stale result(s)") && Catch::Contains("M-SWIGLU-CPU declares SHIPPED"));
}

TEST_CASE("pv report: writing the derived status keeps evidence fresh; a new threshold makes it stale") {
  Repo repo("fingerprint");
  std::string ev = repo.evidence({{"FALSIFY-SWIGLU-001", "cpu"}, {"FALSIFY-SWIGLU-002", "cpu"}});
  repo.declare("M-SWIGLU-CPU", "SHIPPED");  // after the run: the status the evidence supports
  std::string out;
  REQUIRE(repo.pv("report --check --evidence " + ev, out) == 0);
  REQUIRE_THAT(out, !Catch::Contains("stale result"));
  std::string text = repo.read("contracts/swiglu-v1.yaml");
  const auto at = text.find("value: 1.0e-4");
  REQUIRE(at != std::string::npos);
  repo.write("contracts/swiglu-v1.yaml", text.replace(at, 13, "value: 1.0e-3"));
  REQUIRE(repo.pv("report --check --evidence " + ev, out) == 1);
  REQUIRE_THAT(out, Catch::Contains("contract swiglu-v1 changed since the run"));
}

TEST_CASE("pv report: malformed or foreign evidence exits 2; --out writes the chosen files") {
  Repo repo("out");
  repo.write("bad.json", "{\"format\": \"sarif\"}");
  std::string out;
  REQUIRE(repo.pv("report --evidence bad.json", out) == 2);
  REQUIRE_THAT(out, Catch::Contains("bad.json: $.format: not a pv evidence file"));
  REQUIRE(repo.pv("status --evidence bad.json", out) == 2);
  // With --check, over-claims are still listed next to the bad file, and exit 2 wins.
  repo.declare("M-SWIGLU-CPU", "SHIPPED");
  REQUIRE(repo.pv("report --check --evidence bad.json " + repo.evidence({}), out) == 2);
  REQUIRE_THAT(out, Catch::Contains("not a pv evidence file") && Catch::Contains("M-SWIGLU-CPU declares SHIPPED"));

  std::string ev = repo.evidence({{"FALSIFY-SWIGLU-001", "cpu"}});
  REQUIRE(repo.pv("report --evidence " + ev + " --out all", out) == 0);
  for (const char* f : {"all/report.md", "all/report.json", "all/report.html"}) REQUIRE(fs::exists(repo.root / f));
  REQUIRE(repo.pv("report --evidence " + ev + " --out one --format html", out) == 0);
  REQUIRE(fs::exists(repo.root / "one/report.html"));
  REQUIRE_FALSE(fs::exists(repo.root / "one/report.md"));
  REQUIRE(repo.pv("report --format pdf", out) == 2);
  REQUIRE(repo.pv("report --contracts nowhere", out) == 2);
  REQUIRE(repo.pv("report --help", out) == 0);
  REQUIRE(repo.pv("status --help", out) == 0);
}
