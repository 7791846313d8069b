#pragma once
// JUnit XML for CI: one <testsuite> per contract, one <testcase> per falsifier and backend.
// FAIL -> <failure>, ERROR/CRASH/TIMEOUT -> <error type="...">, SKIP -> <skipped>.
#include <string>
#include <vector>

#include "harness/evidence/evidence.hpp"

namespace pv::run {

std::string junit_xml(const std::vector<evidence::FalsifierResult>& results);
// Written to PATH.tmp.<pid> and renamed over PATH (never half-written). Throws on I/O error.
void write_junit(const std::vector<evidence::FalsifierResult>& results, const std::string& path);
std::string xml_escape(const std::string& s);

}  // namespace pv::run
