// The JSON mapping of evidence files (FORMAT.md). Reading is strict: every field is checked for
// presence and type, unknown fields are rejected, and each error names the file and the JSON
// path of the offending value ("$.results[2].measurements[0].value"), so a hand-edited or
// foreign file never counts by accident.
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/evidence/json.hpp"

namespace pv::evidence {

using nlohmann::json;

// ---- writing ---------------------------------------------------------------------------------

json number_to_json(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

json measurement_to_json(const Measurement& m) {
  return {{"metric", m.metric},       {"value", number_to_json(m.value)},
          {"op", m.op},               {"threshold", number_to_json(m.threshold)},
          {"unit", m.unit},           {"passed", m.passed}};
}

json machine_to_json(const Machine& m) {
  return {{"hostname", m.hostname},   {"cpu_model", m.cpu_model},   {"cpu_threads", m.cpu_threads},
          {"gpu_name", m.gpu_name},   {"gpu_driver", m.gpu_driver}, {"cuda_version", m.cuda_version}};
}

namespace {

json result_to_json(const FalsifierResult& r) {
  json ms = json::array();
  for (const auto& m : r.measurements) ms.push_back(measurement_to_json(m));
  return {{"id", r.id},
          {"contract", r.contract},
          {"backend", r.backend},
          {"verdict", to_string(r.verdict)},
          {"measurements", ms},
          {"message", r.message},
          {"counterexample", r.counterexample},
          {"reproduce", r.reproduce},
          {"seed", r.seed},
          {"seconds", number_to_json(r.seconds)},
          {"source_hashes", r.source_hashes}};
}

// ---- reading ---------------------------------------------------------------------------------

// Hand-written format checks: std::regex recurses per character in libstdc++ and would overflow
// the stack on a hostile multi-megabyte string.
bool is_sha256_hex(const std::string& h) {
  if (h.size() != 64) return false;
  for (char c : h)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)
bool is_iso8601(const std::string& s) {
  auto digits = [&](std::size_t at, std::size_t n) {
    if (at + n > s.size()) return false;
    for (std::size_t i = at; i < at + n; ++i)
      if (s[i] < '0' || s[i] > '9') return false;
    return true;
  };
  if (s.size() < 20 || !digits(0, 4) || s[4] != '-' || !digits(5, 2) || s[7] != '-' || !digits(8, 2) ||
      s[10] != 'T' || !digits(11, 2) || s[13] != ':' || !digits(14, 2) || s[16] != ':' || !digits(17, 2))
    return false;
  std::size_t i = 19;
  if (s[i] == '.') {
    std::size_t start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i < s.size() && s[i] == 'Z') return i + 1 == s.size();
  return i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && digits(i + 1, 2) && s[i + 3] == ':' && digits(i + 4, 2);
}

const char* type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

// Walks one document; `origin` (usually the file path) prefixes every error.
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
    throw EvidenceError(origin_ + ": " + path + ": " + msg);
  }

  // Checks that `j` is an object with exactly the `required` keys plus any of `optional`.
  void object(const json& j, const std::string& path, const std::set<std::string>& required,
              const std::set<std::string>& optional = {}) const {
    if (!j.is_object()) fail(path, std::string("expected an object, got ") + type_name(j));
    for (const auto& key : required)
      if (!j.contains(key)) fail(path, "missing required field '" + key + "'");
    for (const auto& [key, value] : j.items())
      if (!required.count(key) && !optional.count(key))
        fail(path + "." + key, "unknown field (this pv reads pv-evidence version " +
                                   std::to_string(kFormatVersion) + "; see harness/evidence/FORMAT.md)");
  }

  std::string str(const json& obj, const std::string& key, const std::string& path) const {
    const json& j = obj.at(key);
    if (!j.is_string()) fail(path + "." + key, std::string("expected a string, got ") + type_name(j));
    return j.get<std::string>();
  }
  std::string opt_str(const json& obj, const std::string& key, const std::string& path) const {
    return obj.contains(key) ? str(obj, key, path) : std::string();
  }

  std::uint64_t u64(const json& obj, const std::string& key, const std::string& path) const {
    const json& j = obj.at(key);
    if (j.is_number_unsigned()) return j.get<std::uint64_t>();
    if (j.is_number_integer() && j.get<std::int64_t>() >= 0) return j.get<std::uint64_t>();
    fail(path + "." + key, std::string("expected a non-negative integer, got ") + type_name(j) +
                               (j.is_number() ? " (" + j.dump() + ")" : ""));
  }

  int small_int(const json& obj, const std::string& key, const std::string& path) const {
    std::uint64_t v = u64(obj, key, path);
    if (v > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
      fail(path + "." + key, "integer " + std::to_string(v) + " out of range");
    return static_cast<int>(v);
  }

  bool boolean(const json& obj, const std::string& key, const std::string& path) const {
    const json& j = obj.at(key);
    if (!j.is_boolean()) fail(path + "." + key, std::string("expected true or false, got ") + type_name(j));
    return j.get<bool>();
  }

  // A number, or null (NaN), or "inf" / "-inf".
  double number(const json& obj, const std::string& key, const std::string& path) const {
    const json& j = obj.at(key);
    if (j.is_number()) return j.get<double>();
    if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (j.is_string() && j.get<std::string>() == "inf") return std::numeric_limits<double>::infinity();
    if (j.is_string() && j.get<std::string>() == "-inf") return -std::numeric_limits<double>::infinity();
    fail(path + "." + key, std::string("expected a number, null, \"inf\" or \"-inf\", got ") + type_name(j));
  }

  // name -> lowercase hex SHA-256; with `allow_missing`, also the word "missing" (a source
  // path that did not exist at run time: never fresh, see FORMAT.md).
  std::map<std::string, std::string> hashes(const json& obj, const std::string& key, const std::string& path,
                                            bool allow_missing = false) const {
    const json& j = obj.at(key);
    const std::string p = path + "." + key;
    if (!j.is_object()) fail(p, std::string("expected an object of SHA-256 hashes, got ") + type_name(j));
    std::map<std::string, std::string> out;
    for (const auto& [name, value] : j.items()) {
      const std::string vp = p + "[\"" + name + "\"]";
      if (name.empty()) fail(vp, "empty name");
      if (!value.is_string()) fail(vp, std::string("expected a hex SHA-256 string, got ") + type_name(value));
      const std::string h = value.get<std::string>();
      if (!is_sha256_hex(h) && !(allow_missing && h == kMissingSource)) fail(vp, "'" + h + "' is not 64 lowercase hex digits (SHA-256)");
      out[name] = h;
    }
    return out;
  }

  std::string timestamp(const json& obj, const std::string& key, const std::string& path) const {
    std::string s = str(obj, key, path);
    if (!is_iso8601(s))
      fail(path + "." + key, "'" + s + "' is not an ISO 8601 time like 2025-01-31T12:00:00Z");
    return s;
  }

  Machine machine(const json& j, const std::string& path) const {
    object(j, path, {"hostname", "cpu_model", "cpu_threads", "gpu_name", "gpu_driver", "cuda_version"});
    Machine m;
    m.hostname = str(j, "hostname", path);
    m.cpu_model = str(j, "cpu_model", path);
    m.cpu_threads = small_int(j, "cpu_threads", path);
    m.gpu_name = str(j, "gpu_name", path);
    m.gpu_driver = str(j, "gpu_driver", path);
    m.cuda_version = str(j, "cuda_version", path);
    return m;
  }

  Measurement measurement(const json& j, const std::string& path) const {
    static const std::set<std::string> ops = {"", ">=", "<=", ">", "<", "=="};
    object(j, path, {"metric", "value", "op", "threshold", "unit", "passed"});
    Measurement m;
    m.metric = str(j, "metric", path);
    if (m.metric.empty()) fail(path + ".metric", "empty metric name");
    m.value = number(j, "value", path);
    m.op = str(j, "op", path);
    if (!ops.count(m.op)) fail(path + ".op", "'" + m.op + "' is not one of >=, <=, >, <, == (or \"\" for a recorded value)");
    m.threshold = number(j, "threshold", path);
    m.unit = str(j, "unit", path);
    m.passed = boolean(j, "passed", path);
    return m;
  }

  FalsifierResult result(const json& j, const std::string& path) const {
    object(j, path, {"id", "contract", "backend", "verdict", "measurements", "seed", "seconds", "source_hashes"},
           {"message", "counterexample", "reproduce"});
    FalsifierResult r;
    r.id = str(j, "id", path);
    if (r.id.empty()) fail(path + ".id", "empty falsifier id");
    r.contract = str(j, "contract", path);
    if (r.contract.empty()) fail(path + ".contract", "empty contract name");
    r.backend = str(j, "backend", path);
    if (r.backend != "cpu" && r.backend != "cuda")
      fail(path + ".backend", "'" + r.backend + "' is not a backend (cpu or cuda)");
    const std::string verdict = str(j, "verdict", path);
    try {
      r.verdict = verdict_from_string(verdict);
    } catch (const EvidenceError& e) {
      fail(path + ".verdict", e.what());
    }
    const json& ms = j.at("measurements");
    if (!ms.is_array()) fail(path + ".measurements", std::string("expected an array, got ") + type_name(ms));
    for (std::size_t i = 0; i < ms.size(); ++i)
      r.measurements.push_back(measurement(ms[i], path + ".measurements[" + std::to_string(i) + "]"));
    r.message = opt_str(j, "message", path);
    r.counterexample = opt_str(j, "counterexample", path);
    r.reproduce = opt_str(j, "reproduce", path);
    r.seed = u64(j, "seed", path);
    r.seconds = number(j, "seconds", path);
    r.source_hashes = hashes(j, "source_hashes", path, true);
    return r;
  }

  EvidenceFile file(const json& j) const {
    const std::string path = "$";
    if (!j.is_object()) fail(path, std::string("not a pv evidence file: expected a JSON object, got ") + type_name(j));
    // Format and version first: a foreign file should be called foreign, not "missing field".
    if (!j.contains("format") || !j["format"].is_string() || j["format"].get<std::string>() != kFormat)
      fail(path + ".format", std::string("not a pv evidence file (format is ") +
                                 (j.contains("format") ? j["format"].dump() : "missing") + ", expected \"" + kFormat + "\")");
    if (!j.contains("version") || !j["version"].is_number_integer())
      fail(path + ".version", "missing or non-integer format version");
    if (j["version"].get<std::int64_t>() != kFormatVersion)
      fail(path + ".version", "pv-evidence version " + j["version"].dump() + " is not supported (this pv reads version " +
                                  std::to_string(kFormatVersion) + ")");
    object(j, path, {"format", "version", "tool_version", "git_commit", "started", "finished", "machine", "seed",
                     "model", "contract_hashes", "results"});
    EvidenceFile ev;
    ev.tool_version = str(j, "tool_version", path);
    ev.git_commit = str(j, "git_commit", path);
    ev.started = timestamp(j, "started", path);
    ev.finished = timestamp(j, "finished", path);
    ev.machine = machine(j.at("machine"), path + ".machine");
    ev.seed = u64(j, "seed", path);
    ev.model = str(j, "model", path);
    ev.contract_hashes = hashes(j, "contract_hashes", path);
    const json& rs = j.at("results");
    if (!rs.is_array()) fail(path + ".results", std::string("expected an array, got ") + type_name(rs));
    for (std::size_t i = 0; i < rs.size(); ++i)
      ev.results.push_back(result(rs[i], path + ".results[" + std::to_string(i) + "]"));
    return ev;
  }

 private:
  std::string origin_;
};

// "line L, column C" of a byte offset, for JSON syntax errors.
std::string line_col(const std::string& text, std::size_t byte) {
  int line = 1, col = 1;
  for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

}  // namespace

std::string to_json_text(const EvidenceFile& ev) {
  json rs = json::array();
  for (const auto& r : ev.results) rs.push_back(result_to_json(r));
  json j = {{"format", kFormat},
            {"version", kFormatVersion},
            {"tool_version", ev.tool_version},
            {"git_commit", ev.git_commit},
            {"started", ev.started},
            {"finished", ev.finished},
            {"machine", machine_to_json(ev.machine)},
            {"seed", ev.seed},
            {"model", ev.model},
            {"contract_hashes", ev.contract_hashes},
            {"results", rs}};
  // Falsifier messages may quote raw bytes: invalid UTF-8 becomes U+FFFD instead of throwing.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

EvidenceFile from_json_text(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw EvidenceError(origin + ":" + line_col(text, e.byte) + ": not valid JSON (byte " + std::to_string(e.byte) +
                        "): " + e.what());
  } catch (const json::exception& e) {  // e.g. a number too large for a double
    throw EvidenceError(origin + ": not valid JSON: " + e.what());
  }
  try {
    return Reader(origin).file(j);
  } catch (const json::exception& e) {  // a type check this reader missed: still a clean error
    throw EvidenceError(origin + ": unexpected JSON content: " + e.what());
  }
}

}  // namespace pv::evidence
