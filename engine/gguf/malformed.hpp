#pragma once
// A corpus of malformed GGUF files, each made from one small valid file by one mutation, with
// the error the reader must report. Used by the unit tests, the GGUF-MALFORMED falsifier and
// as fuzzing seeds. Bytes are built field by field here (not with Writer, which refuses
// to write most of these mistakes).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/gguf/error.hpp"

namespace pv::engine::gguf {

struct MalformedCase {
  std::string name;                 // e.g. "duplicate_key"
  std::string mutation;             // what was changed, in words
  std::vector<std::uint8_t> bytes;
  Errc expected;
};

// The valid base: v3, keys general.architecture (string), test.nested (array of arrays of u8),
// general.alignment (u32 32), test.values (every scalar type); tensors "a" F32 [32] and "b"
// Q4_K [256, 2].
std::vector<std::uint8_t> small_valid_gguf();
std::vector<MalformedCase> malformed_corpus();

}  // namespace pv::engine::gguf
