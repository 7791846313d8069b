#pragma once
// Output formats of `pv validate`: human text, JSON, SARIF 2.1.0 and GitHub annotations.
#include <string>
#include <string_view>

#include "harness/validate/validate.hpp"

namespace pv::validate {

enum class Format { text, json, sarif, github };

// nullopt-like: returns false when `name` is not a format.
bool parse_format(std::string_view name, Format& out);

std::string format_text(const Report& r);
std::string format_json(const Report& r);
std::string format_sarif(const Report& r, const std::string& tool_version);
std::string format_github(const Report& r);
std::string format_report(const Report& r, Format f, const std::string& tool_version);

}  // namespace pv::validate
