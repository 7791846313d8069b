#include "harness/contract/yaml_tree.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <fmt/core.h>

#include <map>
#include <sstream>

namespace pv::contract::yaml {
namespace {

// Thrown from inside the event handler to stop yaml-cpp as soon as a limit is crossed.
struct LimitExceeded {
  Finding finding;
};

Finding make(const std::string& rule, const std::string& file, int line, int col,
             std::string message, std::string hint) {
  return Finding{rule, Severity::error, SourceLoc{file, line, col}, std::move(message), std::move(hint)};
}

class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::string file, const Limits& limits) : file_(std::move(file)), limits_(limits) {}

  NodePtr root() const { return root_; }
  int documents() const { return documents_; }
  std::pair<int, int> second_document() const { return second_document_; }

  void OnDocumentStart(const YAML::Mark& m) override {
    if (++documents_ == 2) second_document_ = {m.line + 1, m.column + 1};
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override {
    auto n = start(Node::Kind::null, m);
    finish(n, anchor, 1);
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      // yaml-cpp hands out anchor ids before the anchored node is complete: `&a [*a]`.
      throw LimitExceeded{make("yaml-alias", file_, m.line + 1, m.column + 1,
                               "alias refers to a node that contains it (a recursive alias)",
                               "replace the alias with the value it should stand for")};
    }
    attach(it->second.first, it->second.second, m.line + 1, m.column + 1);
  }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    auto n = start(Node::Kind::scalar, m);
    n->value = value;
    n->quoted = (tag == "!");  // yaml-cpp tags quoted scalars "!" and plain ones "?"
    finish(n, anchor, 1);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(start(Node::Kind::sequence, m), anchor, m);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(start(Node::Kind::mapping, m), anchor, m);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    std::shared_ptr<Node> node;
    YAML::anchor_t anchor;
    std::size_t expanded;  // nodes this one stands for once every alias is expanded
    NodePtr pending_key;   // mappings: key waiting for its value
  };

  std::shared_ptr<Node> start(Node::Kind kind, const YAML::Mark& m) {
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->line = m.line + 1;
    n->column = m.column + 1;
    return n;
  }

  void open(std::shared_ptr<Node> n, YAML::anchor_t anchor, const YAML::Mark& m) {
    if (static_cast<int>(stack_.size()) >= limits_.max_depth) {
      throw LimitExceeded{make("yaml-too-deep", file_, m.line + 1, m.column + 1,
                               fmt::format("nesting deeper than {} levels", limits_.max_depth),
                               "a contract needs about 5 levels; flatten the structure")};
    }
    stack_.push_back(Open{std::move(n), anchor, 1, nullptr});
  }

  void close() {
    Open top = std::move(stack_.back());
    stack_.pop_back();
    finish(top.node, top.anchor, top.expanded);
  }

  void finish(const std::shared_ptr<Node>& n, YAML::anchor_t anchor, std::size_t expanded) {
    if (anchor != YAML::NullAnchor) anchors_[anchor] = {n, expanded};
    attach(n, expanded, n->line, n->column);
  }

  // Adds a finished node (or an alias to one) to its parent, counting its expanded size.
  void attach(const NodePtr& n, std::size_t expanded, int line, int col) {
    if (stack_.empty()) {
      if (!root_) root_ = n;
      return;
    }
    Open& parent = stack_.back();
    parent.expanded += expanded;
    total_ += expanded;
    if (parent.expanded > limits_.max_expanded_nodes || total_ > limits_.max_expanded_nodes) {
      throw LimitExceeded{make("yaml-alias", file_, line, col,
                               fmt::format("aliases expand to more than {} nodes (an alias bomb)",
                                           limits_.max_expanded_nodes),
                               "write the values out instead of nesting aliases")};
    }
    auto& p = *parent.node;
    if (p.kind == Node::Kind::sequence) {
      p.items.push_back(n);
    } else if (!parent.pending_key) {
      parent.pending_key = n;
    } else {
      p.pairs.emplace_back(std::move(parent.pending_key), n);
      parent.pending_key = nullptr;
    }
  }

  std::string file_;
  Limits limits_;
  std::vector<Open> stack_;
  std::map<YAML::anchor_t, std::pair<NodePtr, std::size_t>> anchors_;
  std::size_t total_ = 0;
  NodePtr root_;
  int documents_ = 0;
  std::pair<int, int> second_document_{1, 1};
};

bool only_comments(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto p = line.find_first_not_of(" \t\r");
    if (p == std::string::npos || line[p] == '#') continue;
    if (line.compare(p, 3, "---") == 0 && line.find_first_not_of(" \t\r", p + 3) == std::string::npos) continue;
    return false;
  }
  return true;
}

}  // namespace

std::vector<Finding> check_encoding(const std::string& text, const std::string& file) {
  std::size_t i = 0;
  int line = 1, col = 1;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  if (text.size() >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) i = 3;  // UTF-8 BOM
  while (i < text.size()) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
        return {make("file-binary", file, line, col,
                     fmt::format("control byte 0x{:02X} at byte offset {}: this is not a text file", c, i),
                     "contracts are UTF-8 YAML text; check that the right file was given")};
      }
      if (c == '\n') { ++line; col = 1; } else { ++col; }
      ++i;
      continue;
    }
    // Length and minimum code point of a UTF-8 sequence, from its lead byte.
    int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = len > 0 && i + len <= text.size();
    unsigned cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; ok && k < len; ++k) {
      ok = (s[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    const unsigned min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok) ok = cp >= min_cp[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!ok) {
      return {make("file-not-utf8", file, line, col,
                   fmt::format("invalid UTF-8 byte 0x{:02X} at byte offset {}", c, i),
                   "save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)")};
    }
    i += static_cast<std::size_t>(len);
    ++col;
  }
  return {};
}

ParseResult parse(const std::string& text, const std::string& file, const Limits& limits) {
  ParseResult out;
  if (text.size() > limits.max_bytes) {
    out.findings.push_back(make("file-too-large", file, 1, 1,
                                fmt::format("file is {} bytes; the limit is {} bytes", text.size(), limits.max_bytes),
                                "split the contract; a contract is a few kilobytes of YAML"));
    return out;
  }
  if (auto enc = check_encoding(text, file); !enc.empty()) {
    out.findings = std::move(enc);
    return out;
  }
  if (only_comments(text)) {
    out.findings.push_back(make("file-empty", file, 1, 1, "file holds no YAML content",
                                "write a contract (see contracts/SCHEMA.md) or remove the file"));
    return out;
  }
  TreeBuilder builder(file, limits);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
      if (builder.documents() > 1) {
        auto [line, col] = builder.second_document();
        out.findings.push_back(make("multiple-documents", file, line, col,
                                    "file holds more than one YAML document",
                                    "put each contract in its own file; remove the extra `---`"));
        return out;
      }
    }
  } catch (const LimitExceeded& e) {
    out.findings.push_back(e.finding);
    return out;
  } catch (const YAML::DeepRecursion& e) {
    out.findings.push_back(make("yaml-too-deep", file, e.mark.line + 1, e.mark.column + 1,
                                "nesting too deep for the YAML parser",
                                "a contract needs about 5 levels; flatten the structure"));
    return out;
  } catch (const YAML::Exception& e) {
    int line = e.mark.is_null() ? 1 : e.mark.line + 1;
    int col = e.mark.is_null() ? 1 : e.mark.column + 1;
    out.findings.push_back(make("yaml-syntax", file, line, col, "YAML syntax error: " + e.msg,
                                "fix the YAML at this position (indentation, quotes, brackets); an unclosed quote or bracket earlier in the file can surface here"));
    return out;
  }
  out.root = builder.root();
  if (!out.root || out.root->kind == Node::Kind::null) {
    out.root = nullptr;
    out.findings.push_back(make("file-empty", file, 1, 1, "file holds no YAML content",
                                "write a contract (see contracts/SCHEMA.md) or remove the file"));
  }
  return out;
}

}  // namespace pv::contract::yaml
