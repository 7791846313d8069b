// Opens the HTML report in a real headless browser (Debian's chromium) and checks the rendered
// DOM shows stage names, statuses and the stale marker. Without chromium this test FAILS:
// `bash ci/install-deps.sh` installs it.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "harness/report/tests/world.hpp"

using namespace pv::report;
using namespace pv::report::testing;
namespace fs = std::filesystem;

namespace {
std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    std::string cmd = std::string("command -v ") + name + " 2>/dev/null";
    std::array<char, 512> buf{};
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) continue;
    std::string out;
    while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
    ::pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (!out.empty()) return out;
  }
  return "";
}

std::string run(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  status = ::pclose(p);
  return out;
}
}  // namespace

TEST_CASE("browser: headless chromium renders stages, statuses and stale evidence") {
  const std::string chromium = find_chromium();
  if (chromium.empty()) FAIL("chromium not found: install it with `bash ci/install-deps.sh` (Debian package chromium)");

  World w("browser");
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS), w.result("F-B", "cpu", Verdict::PASS),
                  w.result("F-C", "cpu", Verdict::PASS)});
  w.write("engine/cpu/kernel.cpp", "int kernel() { return 3; }\n");  // makes that run stale
  w.add_evidence({w.result("F-A", "cpu", Verdict::PASS)}, "2025-11-26T02:00:00Z", "gpu-box");
  const fs::path html = w.root / "report.html";
  std::ofstream(html) << render_html(w.derive_now());

  const fs::path profile = w.root / "chromium-profile";
  std::string cmd = "timeout 90 " + chromium + " --headless --no-sandbox --disable-gpu --no-first-run" +
                    " --user-data-dir=" + profile.string() + " --dump-dom file://" + html.string() + " 2>/dev/null";
  int status = -1;
  std::string dom = run(cmd, status);
  INFO("command: " << cmd);
  REQUIRE(status == 0);
  REQUIRE_THAT(dom, Catch::Contains("<h1>pv stage report</h1>"));
  // The browser parsed the table rows: stage ids with their derived status as attributes.
  REQUIRE_THAT(dom, Catch::Contains("data-stage=\"S-CPU\" data-derived=\"PARTIAL\""));
  REQUIRE_THAT(dom, Catch::Contains("data-stage=\"S-CUDA\" data-derived=\"PENDING\""));
  REQUIRE_THAT(dom, Catch::Contains("<span class=\"status status-PARTIAL\">PARTIAL</span>"));
  REQUIRE_THAT(dom, Catch::Contains("<tr class=\"result stale\">"));
  REQUIRE_THAT(dom, Catch::Contains("<span class=\"stale-marker\">STALE</span> engine/cpu changed since the run"));
  REQUIRE_THAT(dom, Catch::Contains("NVIDIA H100"));  // machine info
}
