#include "harness/contract/loader.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "harness/contract/formats.hpp"
#include "harness/contract/reader.hpp"
#include "harness/contract/sections.hpp"

namespace pv::contract {

bool LoadResult::ok() const {
  return contract.has_value() &&
         std::none_of(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::error; });
}

namespace {

void read_contract(Reader& r, const yaml::Node& root, Contract& c) {
  auto m = r.map(root, schema::section("contract"), "the contract");
  if (!m) return;
  c.loc = r.loc(root);
  if (const auto* md = m->get("metadata")) read_metadata(r, *md, c.metadata);
  c.name = r.str(*m, "name", true);
  r.check_format(*m, "name", formats::is_contract_name(c.name), "bad-id", "a kebab-case contract name",
                 "use lower-case words joined by '-', e.g. moe-router-v1");
  if (auto k = r.enum_value(*m, "kind", schema::contract_kinds())) c.kind = *k;
  if (auto s = r.enum_value(*m, "status", schema::contract_statuses())) c.status = *s;
  c.scope = r.str(*m, "scope", false);
  c.description = r.str(*m, "description", true);
  if (const auto* eq = m->get("equations")) read_equations(r, *eq, c.equations);
  for (const auto* n : r.list(*m, "proof_obligations", true)) read_obligation(r, *n, c.proof_obligations);
  for (const auto* n : r.list(*m, "implementation_stages", false)) read_stage(r, *n, c.implementation_stages);
  for (const auto* n : r.list(*m, "falsification_tests", true)) read_falsifier(r, *n, c.falsification_tests);
  if (const auto* qa = m->get("qa_gate")) c.qa_gate = read_qa_gate(r, *qa);
  for (const auto* n : r.list(*m, "kani_harnesses", false)) read_kani(r, *n, c.kani_harnesses);
}

}  // namespace

LoadResult load_contract_text(const std::string& text, const std::string& file, const yaml::Limits& limits) {
  LoadResult out;
  yaml::ParseResult parsed = yaml::parse(text, file, limits);
  out.findings = std::move(parsed.findings);
  if (!parsed.root) return out;
  Reader r(file);
  if (parsed.root->kind != yaml::Node::Kind::mapping) {
    r.error("wrong-type", *parsed.root,
            fmt::format("a contract is a mapping of sections, but this file holds {}", kind_name(*parsed.root)),
            "start the file with `metadata:` (see contracts/SCHEMA.md)");
  } else {
    Contract c;
    c.path = file;
    read_contract(r, *parsed.root, c);
    out.contract = std::move(c);
  }
  auto& f = r.findings();
  out.findings.insert(out.findings.end(), f.begin(), f.end());
  return out;
}

LoadResult load_contract_file(const std::string& path, const yaml::Limits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult out;
    out.findings.push_back(Finding{"io-error", Severity::error, SourceLoc{path, 0, 0},
                                   "cannot open the file", "check the path and its permissions"});
    return out;
  }
  // Read at most one byte more than allowed: enough to see that a file is too large without
  // reading all of it (and without zero-filling a maximum-size buffer per file).
  std::error_code ec;
  std::uintmax_t size = std::filesystem::file_size(path, ec);
  std::size_t want = ec ? limits.max_bytes + 1 : static_cast<std::size_t>(std::min<std::uintmax_t>(size, limits.max_bytes + 1));
  std::string text(want, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (!ec && size > limits.max_bytes) {
    LoadResult out;
    out.findings.push_back(Finding{"file-too-large", Severity::error, SourceLoc{path, 1, 1},
                                   fmt::format("file is {} bytes; the limit is {} bytes", size, limits.max_bytes),
                                   "split the contract; a contract is a few kilobytes of YAML"});
    return out;
  }
  if (in.bad()) {
    LoadResult out;
    out.findings.push_back(Finding{"io-error", Severity::error, SourceLoc{path, 0, 0},
                                   "reading the file failed", "check the file system"});
    return out;
  }
  return load_contract_text(text, path, limits);
}

}  // namespace pv::contract
