#include "harness/contract/reader.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "harness/contract/formats.hpp"

namespace pv::contract {

std::string kind_name(const yaml::Node& n) {
  switch (n.kind) {
    case yaml::Node::Kind::null: return "nothing (null)";
    case yaml::Node::Kind::scalar: return "a scalar";
    case yaml::Node::Kind::sequence: return "a list";
    case yaml::Node::Kind::mapping: return "a mapping";
  }
  return "?";
}

std::string clip(std::string_view value) {
  // Values shown in messages are cut (at a UTF-8 boundary) so one huge value cannot flood output.
  constexpr std::size_t kMax = 80;
  if (value.size() <= kMax) return std::string(value);
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return std::string(value.substr(0, cut)) + "...";
}

std::string did_you_mean(std::string_view key, const std::vector<std::string_view>& allowed) {
  std::string_view best;
  std::size_t best_d = std::string_view::npos;
  for (auto k : allowed) {
    std::size_t d = formats::edit_distance(key, k);
    // A known key that starts with the unknown one (`falsification` -> `falsification_tests`)
    // is as good a guess as a one-letter typo.
    bool prefix = key.size() >= 4 && (k.substr(0, key.size()) == key || key.substr(0, k.size()) == k);
    if (prefix) d = std::min<std::size_t>(d, 1);
    if (d < best_d) { best_d = d; best = k; }
  }
  if (best.empty() || best_d > std::max<std::size_t>(2, key.size() / 3)) return {};
  return std::string(best);
}

void Reader::error(const std::string& rule, const yaml::Node& at, std::string message, std::string hint) {
  findings_.push_back(Finding{rule, Severity::error, loc(at), std::move(message), std::move(hint)});
}
void Reader::warning(const std::string& rule, const yaml::Node& at, std::string message, std::string hint) {
  findings_.push_back(Finding{rule, Severity::warning, loc(at), std::move(message), std::move(hint)});
}

const yaml::Node* Reader::Map::get(std::string_view key) const {
  for (const auto& [k, v] : entries_)
    if (k == key) return v;
  return nullptr;
}

std::optional<Reader::Map> Reader::open_map(const yaml::Node& n, const std::string& where) {
  if (n.kind != yaml::Node::Kind::mapping) {
    error("wrong-type", n, fmt::format("{} must be a mapping (key: value), found {}", where, kind_name(n)),
          "write `key: value` lines indented under it");
    return std::nullopt;
  }
  Map m;
  m.node_ = &n;
  m.where_ = where;
  for (const auto& [k, v] : n.pairs) {
    if (k->kind != yaml::Node::Kind::scalar) {
      error("wrong-type", *k, fmt::format("a key in {} is {}; keys are plain names", where, kind_name(*k)),
            "use a plain word as the key");
      continue;
    }
    if (m.get(k->value) != nullptr) {
      const yaml::Node* first = m.get(k->value);
      error("duplicate-key", *k,
            fmt::format("key '{}' appears twice in {} (first at line {}); YAML keeps only one", k->value, where,
                        first == nullptr ? 0 : first->line),
            "merge the two entries into one");
      continue;
    }
    m.entries_.emplace_back(k->value, v.get());
  }
  return m;
}

std::optional<Reader::Map> Reader::map(const yaml::Node& n, const schema::Section& section,
                                       const std::string& where) {
  auto m = open_map(n, where);
  if (!m) return m;
  for (const auto& [key, value] : m->entries_) {
    if (std::find(section.keys.begin(), section.keys.end(), key) != section.keys.end()) continue;
    const yaml::Node* key_node = nullptr;
    for (const auto& [k, v] : n.pairs)
      if (v.get() == value) key_node = k.get();
    std::string guess = did_you_mean(key, section.keys);
    error("unknown-key", key_node ? *key_node : n, fmt::format("unknown key '{}' in {}", clip(key), where),
          guess.empty() ? fmt::format("allowed keys: {}", fmt::join(section.keys, ", "))
                        : fmt::format("did you mean '{}'? (allowed: {})", guess, fmt::join(section.keys, ", ")));
  }
  for (auto req : section.required) {
    if (m->get(req) == nullptr)
      error("missing-key", n, fmt::format("{} lacks the required key '{}'", where, req),
            fmt::format("add `{}:` (see contracts/SCHEMA.md)", req));
  }
  return m;
}

std::string Reader::str(const Map& m, std::string_view key, bool required) {
  const yaml::Node* n = m.get(key);
  if (n == nullptr) return {};
  std::string what = fmt::format("{}.{}", m.where(), key);
  if (n->kind == yaml::Node::Kind::scalar) {
    if (required && n->value.find_first_not_of(" \t\r\n") == std::string::npos)
      error("empty-value", *n, fmt::format("{} is empty", what), "write a value; it is required");
    return n->value;
  }
  if (n->kind == yaml::Node::Kind::null) {
    if (required) error("empty-value", *n, fmt::format("{} is empty", what), "write a value; it is required");
    return {};
  }
  error("wrong-type", *n, fmt::format("{} must be text, found {}", what, kind_name(*n)),
        "write a single value (use `|` for several lines)");
  return {};
}

std::vector<const yaml::Node*> Reader::list(const Map& m, std::string_view key, bool required) {
  const yaml::Node* n = m.get(key);
  std::vector<const yaml::Node*> out;
  if (n == nullptr) return out;
  std::string what = fmt::format("{}.{}", m.where(), key);
  if (n->kind == yaml::Node::Kind::null || (n->kind == yaml::Node::Kind::sequence && n->items.empty())) {
    if (required) error("empty-value", *n, fmt::format("{} is empty", what), "list at least one entry");
    return out;
  }
  if (n->kind != yaml::Node::Kind::sequence) {
    error("wrong-type", *n, fmt::format("{} must be a list, found {}", what, kind_name(*n)),
          "write the entries as `- item` lines or `[a, b]`");
    return out;
  }
  for (const auto& item : n->items) out.push_back(item.get());
  return out;
}

SourceLoc Reader::field_loc(const Map& m, std::string_view key) const {
  const yaml::Node* n = m.get(key);
  return n != nullptr ? loc(*n) : loc(m.node());
}

std::vector<std::string> Reader::str_list(const Map& m, std::string_view key, bool required,
                                          std::vector<SourceLoc>* locs) {
  std::vector<std::string> out;
  std::size_t i = 0;
  for (const yaml::Node* item : list(m, key, required)) {
    if (item->kind == yaml::Node::Kind::scalar && !item->value.empty()) {
      out.push_back(item->value);
      if (locs != nullptr) locs->push_back(loc(*item));
    } else {
      error(item->kind == yaml::Node::Kind::null ? "empty-value" : "wrong-type", *item,
            fmt::format("{}.{}[{}] must be text, found {}", m.where(), key, i, kind_name(*item)),
            "each entry is one plain value");
    }
    ++i;
  }
  return out;
}

std::optional<double> Reader::number_node(const yaml::Node& n, const std::string& what) {
  if (n.kind != yaml::Node::Kind::scalar) {
    error(n.kind == yaml::Node::Kind::null ? "empty-value" : "wrong-type", n,
          fmt::format("{} must be a number, found {}", what, kind_name(n)), "write a number such as 1e-6");
    return std::nullopt;
  }
  if (n.quoted) {
    error("wrong-type", n, fmt::format("{} is the quoted text \"{}\", not a number", what, clip(n.value)),
          "remove the quotes so the value is a number");
    return std::nullopt;
  }
  const std::string& s = n.value;
  bool chars_ok = !s.empty() && s.find_first_not_of("0123456789+-.eE") == std::string::npos;
  char* end = nullptr;
  errno = 0;
  double v = chars_ok ? std::strtod(s.c_str(), &end) : 0.0;
  if (!chars_ok || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) {
    error("wrong-type", n, fmt::format("{} must be a finite number, found '{}'", what, clip(s)),
          "write a number such as 0.99 or 1e-6");
    return std::nullopt;
  }
  return v;
}

std::optional<double> Reader::number(const Map& m, std::string_view key) {
  const yaml::Node* n = m.get(key);
  if (n == nullptr) return std::nullopt;
  return number_node(*n, fmt::format("{}.{}", m.where(), key));
}

std::optional<std::string> Reader::enum_value(const Map& m, std::string_view key,
                                              const std::vector<std::string_view>& allowed) {
  const yaml::Node* n = m.get(key);
  if (n == nullptr) return std::nullopt;
  std::string v = str(m, key, true);
  if (n->kind != yaml::Node::Kind::scalar || v.empty()) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return v;
  error("bad-enum", *n, fmt::format("{}.{} is '{}', not one of the allowed values", m.where(), key, clip(v)),
        fmt::format("use one of: {}", fmt::join(allowed, ", ")));
  return std::nullopt;
}

void Reader::check_format(const Map& m, std::string_view key, bool ok, const std::string& rule,
                          const std::string& what, const std::string& hint) {
  const yaml::Node* n = m.get(key);
  if (ok || n == nullptr || n->kind != yaml::Node::Kind::scalar || n->value.empty()) return;
  error(rule, *n, fmt::format("{}.{} '{}' is not {}", m.where(), key, clip(n->value), what), hint);
}

}  // namespace pv::contract
