// The evidence reader on arbitrary bytes: it either throws EvidenceError or returns a file
// that writes back to text which reads again to the same text (no other exception, no crash).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "harness/evidence/evidence.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  pv::evidence::EvidenceFile ev;
  try {
    ev = pv::evidence::from_json_text(text, "fuzz");
  } catch (const pv::evidence::EvidenceError&) {
    return 0;
  }
  const std::string once = pv::evidence::to_json_text(ev);
  const std::string twice = pv::evidence::to_json_text(pv::evidence::from_json_text(once, "fuzz-roundtrip"));
  if (once != twice) std::abort();
  return 0;
}
