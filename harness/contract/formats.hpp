#pragma once
// Formats of IDs, versions and dates, and the mapping of other tools' stage status words.
#include <optional>
#include <string>
#include <string_view>

namespace pv::contract::formats {

bool is_falsifier_id(std::string_view s);   // FALSIFY-QW3-MOE-ORACLE-001
bool is_obligation_id(std::string_view s);  // AC_GPU_MOE_001
bool is_stage_id(std::string_view s);       // M-GPU-MOE-1, M-ROUTER-CPU
bool is_qa_gate_id(std::string_view s);     // QA-MOE-ROUTER
bool is_kani_id(std::string_view s);        // KANI-ROUTER-001
bool is_contract_name(std::string_view s);  // moe-router-v1
bool is_metric_name(std::string_view s);    // cosine_min
bool is_semver(std::string_view s);         // 1.0.0, 1.2.0-rc.1
bool is_date(std::string_view s);           // 2026-05-04, a real calendar date

// A stage status word used by other tools (DISCHARGED, ACTIVE_RUNTIME, IN_PROGRESS, ...) and
// the word of this schema it corresponds to; nullopt when the word means nothing we know.
std::optional<std::string> map_foreign_status(std::string_view word);

// Levenshtein distance, for did-you-mean suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace pv::contract::formats
