#pragma once
// Small text helpers shared by the renderers (internal to pv_report).
#include <string>

#include "harness/report/report.hpp"

namespace pv::report::text {

// 4 significant digits; NaN reads "not measured", infinities "inf" / "-inf".
std::string number(double v);
// "0.9998 >= 0.999 (pass)" or "0.02 (recorded)" for a measurement.
std::string measurement(const evidence::Measurement& m);
// "FALSIFY-X on cuda: failed"; "no falsifier on cuda" when none applies.
std::string missing(const Missing& m);
std::string machine(const evidence::Machine& m);
std::string escape_md(const std::string& s);    // for table cells: |, newlines
std::string escape_html(const std::string& s);

}  // namespace pv::report::text
