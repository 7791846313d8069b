#include <fmt/core.h>

#include "harness/validate/format.hpp"

namespace pv::validate {

bool parse_format(std::string_view name, Format& out) {
  if (name == "text") out = Format::text;
  else if (name == "json") out = Format::json;
  else if (name == "sarif") out = Format::sarif;
  else if (name == "github") out = Format::github;
  else return false;
  return true;
}

// file:line:col: severity[rule]: message, then the hint indented; the last line is the count.
std::string format_text(const Report& r) {
  std::string out;
  for (const auto& f : r.findings) {
    std::string where = f.loc.line > 0 ? fmt::format("{}:{}:{}", f.loc.file, f.loc.line, f.loc.column) : f.loc.file;
    out += fmt::format("{}: {}[{}]: {}\n    hint: {}\n", where, to_string(f.severity), f.rule, f.message, f.hint);
  }
  out += fmt::format("checked {} file(s), {} contract(s)\n", r.files.size(), r.contracts.size());
  out += fmt::format("{} error(s), {} warning(s)\n", r.errors(), r.warnings());
  return out;
}

// GitHub workflow commands: ::error file=F,line=L,col=C,title=RULE::message
std::string format_github(const Report& r) {
  // Workflow command values escape %, CR and LF; properties also escape ':' and ','.
  auto esc = [](const std::string& s, bool property) {
    std::string o;
    for (char c : s) {
      if (c == '%') o += "%25";
      else if (c == '\r') o += "%0D";
      else if (c == '\n') o += "%0A";
      else if (property && c == ':') o += "%3A";
      else if (property && c == ',') o += "%2C";
      else o += c;
    }
    return o;
  };
  std::string out;
  for (const auto& f : r.findings) {
    std::string props;
    if (f.loc.line > 0)
      props = fmt::format("file={},line={},col={},", esc(f.loc.file, true), f.loc.line, f.loc.column);
    out += fmt::format("::{} {}title={}::{} (hint: {})\n", to_string(f.severity), props, esc(f.rule, true),
                       esc(f.message, false), esc(f.hint, false));
  }
  out += fmt::format("{} error(s), {} warning(s)\n", r.errors(), r.warnings());
  return out;
}

std::string format_report(const Report& r, Format f, const std::string& tool_version) {
  switch (f) {
    case Format::text: return format_text(r);
    case Format::json: return format_json(r);
    case Format::sarif: return format_sarif(r, tool_version);
    case Format::github: return format_github(r);
  }
  return {};
}

}  // namespace pv::validate
