// Names, times and reading a set of evidence files for the report.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>

#include "harness/report/report.hpp"

namespace pv::report {

const char* status_name(StageStatus s) {
  switch (s) {
    case StageStatus::PENDING: return "PENDING";
    case StageStatus::PARTIAL: return "PARTIAL";
    case StageStatus::SHIPPED: return "SHIPPED";
  }
  return "PENDING";
}

int status_rank(StageStatus s) {
  switch (s) {
    case StageStatus::PENDING: return 0;
    case StageStatus::PARTIAL: return 1;
    case StageStatus::SHIPPED: return 2;
  }
  return 0;
}

const char* backend_name(Backend b) { return b == Backend::cuda ? "cuda" : "cpu"; }

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::passed: return "passed";
    case Outcome::failed: return "failed";
    case Outcome::skipped: return "skipped";
    case Outcome::stale: return "stale";
    case Outcome::missing: return "missing";
  }
  return "missing";
}

namespace {
// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long days_from_civil(long y, long m, long d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
}  // namespace

double parse_iso8601(const std::string& s) {
  static const std::regex iso(R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$)");
  std::smatch m;
  if (!std::regex_match(s, m, iso)) throw std::invalid_argument("'" + s + "' is not an ISO 8601 time");
  auto num = [&](int i) { return std::stol(m[i].str()); };
  double t = static_cast<double>(days_from_civil(num(1), num(2), num(3))) * 86400.0 +
             static_cast<double>(num(4) * 3600 + num(5) * 60 + num(6));
  if (m[7].matched) t += std::stod("0" + m[7].str());
  if (m[9].matched) {
    const double offset = static_cast<double>(num(10) * 3600 + num(11) * 60);
    t += m[9].str() == "+" ? -offset : offset;  // 01:00+01:00 is 00:00Z
  }
  return t;
}

EvidenceSet load_evidence(const std::vector<std::string>& paths) {
  EvidenceSet set;
  std::set<std::string> seen;
  for (const auto& path : paths) {
    std::error_code ec;
    std::string key = std::filesystem::weakly_canonical(path, ec).string();
    if (ec) key = path;
    if (!seen.insert(key).second) continue;  // the same file twice would count twice
    try {
      EvidenceInput in;
      in.path = path;
      in.file = evidence::read(path);
      in.finished_epoch = parse_iso8601(in.file.finished);
      set.files.push_back(std::move(in));
    } catch (const std::exception& e) {
      set.errors.push_back(e.what());
    }
  }
  return set;
}

}  // namespace pv::report
