#pragma once
// Readers for each section of a contract (see contracts/SCHEMA.md), used by loader.cpp.
#include <optional>
#include <vector>

#include "harness/contract/model.hpp"
#include "harness/contract/reader.hpp"

namespace pv::contract {

void read_metadata(Reader& r, const yaml::Node& n, Metadata& out);
void read_equations(Reader& r, const yaml::Node& n, std::vector<Equation>& out);
void read_obligation(Reader& r, const yaml::Node& n, std::vector<ProofObligation>& out);
void read_stage(Reader& r, const yaml::Node& n, std::vector<Stage>& out);
void read_falsifier(Reader& r, const yaml::Node& n, std::vector<FalsificationTest>& out);
std::optional<QaGate> read_qa_gate(Reader& r, const yaml::Node& n);
void read_kani(Reader& r, const yaml::Node& n, std::vector<KaniHarness>& out);

}  // namespace pv::contract
