#include "harness/run/collect.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "harness/evidence/fingerprint.hpp"

namespace pv::run {

namespace fs = std::filesystem;

std::string utc_now_iso8601() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {
// First line of a command's output, or "" (commands are fixed strings, never user input).
std::string first_line_of(const std::string& cmd) {
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  std::array<char, 512> buf{};
  std::string line;
  if (std::fgets(buf.data(), buf.size(), p) != nullptr) line = buf.data();
  ::pclose(p);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::string shell_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}
}  // namespace

// PV_GIT_COMMIT wins: a bundle run elsewhere (ci/gpu-run.sh) knows the commit it was built
// from, while the checkout it runs in may carry another (or no) .git.
std::string git_commit(const std::string& source_dir) {
  if (const char* env = std::getenv("PV_GIT_COMMIT"); env && std::string(env).size() == 40) return env;
  std::string c = first_line_of("git -C " + shell_quote(source_dir) + " rev-parse HEAD 2>/dev/null");
  return c.size() == 40 ? c : "unknown";
}

evidence::Machine this_machine() {
  evidence::Machine m;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) m.hostname = host;
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);) {
    if (line.rfind("model name", 0) == 0) {
      m.cpu_model = line.substr(line.find(':') + 2);
      break;
    }
  }
  m.cpu_threads = static_cast<int>(std::thread::hardware_concurrency());
  // The parent never initialises CUDA (children are forked from it); ask the driver's tool.
  std::string gpu = first_line_of(
      "nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null");
  if (auto comma = gpu.find(", "); comma != std::string::npos) {
    m.gpu_name = gpu.substr(0, comma);
    m.gpu_driver = gpu.substr(comma + 2);
    std::string cuda = first_line_of("nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*'");
    if (cuda.size() > 14) m.cuda_version = cuda.substr(14);
  }
  return m;
}

evidence::EvidenceFile collect_evidence(const std::vector<Task>& tasks,
                                        std::vector<evidence::FalsifierResult> results,
                                        const std::vector<contract::Contract>& contracts, const RunInfo& info) {
  evidence::EvidenceFile ev;
  ev.tool_version = info.tool_version;
  ev.git_commit = git_commit(info.source_dir);
  ev.started = info.started;
  ev.finished = info.finished;
  ev.machine = this_machine();
  ev.seed = info.seed;
  ev.model = info.model;
  for (const auto& c : contracts) ev.contract_hashes[c.name] = evidence::contract_fingerprint(c);
  std::map<std::string, std::string> cache;  // source group -> hash
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Task& t = tasks[i];
    if (t.info == nullptr) continue;
    for (const auto& src : t.info->sources) {
      // "engine/cpu" and "engine/cuda" are the backends themselves: a result depends only on
      // the one it ran on.
      const bool other_backend = (src == "engine/cpu" || src == "engine/cuda") && src != "engine/" + t.backend;
      if (other_backend) continue;
      auto it = cache.find(src);
      if (it == cache.end()) {
        fs::path p = fs::path(info.source_dir) / src;
        std::string h = fs::exists(p) ? evidence::sha256_path(p.string()) : "missing";
        it = cache.emplace(src, h).first;
      }
      results[i].source_hashes[src] = it->second;
    }
  }
  ev.results = std::move(results);
  return ev;
}

}  // namespace pv::run
