// Benchmark (not a test): generates 1,000 contracts into a temporary directory and times
// `pv validate` over them (load, per-contract and cross-file checks; no output formatting).
// Usage: bench_validate [COUNT] [RUNS]. Prints the median and best wall time.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "harness/validate/validate.hpp"

namespace fs = std::filesystem;

namespace {

double cpu_seconds() {  // user + system time of this process, all threads
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

// Contract i is the router contract with its IDs renamed, depending on contract i-1, so the
// cross-file checks see a 1,000-long dependency chain and 1,000 x 17 unique IDs.
std::string make_contract(const std::string& tmpl, int i) {
  std::string tag = fmt::format("G{:04}", i);
  std::string name = fmt::format("gen-{:04}", i);
  std::string s = replace_all(tmpl, "moe-router-v1", name);
  s = replace_all(s, "ROUTER", tag);
  if (i > 0) s = replace_all(s, "depends_on: []", fmt::format("depends_on: [gen-{:04}]", i - 1));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int count = argc > 1 ? std::atoi(argv[1]) : 1000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  std::ifstream in(PV_SOURCE_DIR "/contracts/moe-router-v1.yaml");
  std::stringstream tmpl;
  tmpl << in.rdbuf();
  if (tmpl.str().empty()) {
    fmt::print(stderr, "bench_validate: cannot read the template contract\n");
    return 2;
  }
  fs::path dir = fs::temp_directory_path() / fmt::format("pv-bench-validate-{}", ::getpid());
  fs::create_directories(dir);
  std::size_t bytes = 0;
  for (int i = 0; i < count; ++i) {
    std::string text = make_contract(tmpl.str(), i);
    bytes += text.size();
    std::ofstream(dir / fmt::format("gen-{:04}.yaml", i)) << text;
  }
  std::vector<double> seconds, cpu;
  pv::validate::Report report;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    double c0 = cpu_seconds();
    report = pv::validate::validate_paths({dir.string()}, {});
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    cpu.push_back(cpu_seconds() - c0);
  }
  fs::remove_all(dir);
  std::sort(seconds.begin(), seconds.end());
  std::sort(cpu.begin(), cpu.end());
  fmt::print("bench_validate: {} contracts, {:.1f} MB of YAML, {} run(s)\n", report.files.size(), static_cast<double>(bytes) / 1e6, runs);
  fmt::print("bench_validate: median {:.3f} s, best {:.3f} s ({:.0f} contracts/s); {} error(s), {} warning(s)\n",
             seconds[seconds.size() / 2], seconds.front(), static_cast<double>(report.files.size()) / seconds[seconds.size() / 2],
             report.errors(), report.warnings());
  fmt::print("bench_validate: median CPU time {:.3f} s per run over {} thread(s) (wall time on an idle machine "
             "is about CPU time / threads)\n", cpu[cpu.size() / 2], std::max(1u, std::thread::hardware_concurrency()));
  // The generated contracts are valid: any finding means the benchmark measured the wrong thing.
  return report.errors() == 0 && report.warnings() == 0 ? 0 : 1;
}
