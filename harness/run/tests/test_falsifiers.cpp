// Test-only falsifiers, registered in the test binary alone: one per verdict the runner must
// produce, so the runner's mapping is tested without the engine.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "falsifiers/framework/falsifier.hpp"
#include "falsifiers/framework/property.hpp"

namespace {
using pv::falsify::Context;

void pass(Context& c) { c.check("m", 0.5); }
void fail(Context& c) {
  c.check("m", 2.5);
  c.fail_with("x = 7");
}
void crash(Context&) { ::raise(SIGSEGV); }
void aborts(Context&) { std::abort(); }
void hang(Context&) {
  for (;;) ::pause();
}
void skip(Context& c) { c.skip("no such backend here: test"); }
void error(Context&) { throw std::runtime_error("fixture unreadable: test"); }
void missing_metric(Context& c) { c.check("not_in_contract", 1); }
void nothing(Context&) {}
void exits(Context&) { std::_Exit(3); }
// Fails for x >= 10: RapidCheck must shrink any failing x to exactly 10.
void shrinking(Context& c) {
  pv::falsify::property(c, "x below 10", [](pv::falsify::Probe& p) {
    int x = *rc::gen::inRange(0, 1000);
    p.measure("m", x >= 10 ? 2.0 : 0.0);
    p.describe("x=" + std::to_string(x));
  });
}
void holding(Context& c) {
  pv::falsify::property(c, "always", [](pv::falsify::Probe& p) {
    int x = *rc::gen::inRange(0, 1000);
    p.measure("m", x / 1000.0);
  });
}

PV_FALSIFIER({"TEST-PASS", "property", {"harness/run"}, &pass});
PV_FALSIFIER({"TEST-FAIL", "property", {}, &fail});
PV_FALSIFIER({"TEST-CRASH", "property", {}, &crash});
PV_FALSIFIER({"TEST-ABORT", "property", {}, &aborts});
PV_FALSIFIER({"TEST-HANG", "property", {}, &hang});
PV_FALSIFIER({"TEST-SKIP", "property", {}, &skip});
PV_FALSIFIER({"TEST-ERROR", "property", {}, &error});
PV_FALSIFIER({"TEST-MISSING-METRIC", "property", {}, &missing_metric});
PV_FALSIFIER({"TEST-NOTHING", "property", {}, &nothing});
PV_FALSIFIER({"TEST-EXIT", "property", {}, &exits});
PV_FALSIFIER({"TEST-SHRINK", "property", {}, &shrinking});
PV_FALSIFIER({"TEST-HOLDS", "property", {}, &holding});
}  // namespace
