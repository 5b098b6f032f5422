// Generation manifests (`emonet data design`): the demographic axes of spec §2.3 crossed
// with the emotions of the taxonomy, a quota per cell, a reproducible seed per row and a
// prompt rendered from a template (the Binary template of §2.3 by default).
//
// Quotas: with per_cell = N every (ethnicity, age, gender, emotion) cell gets exactly N
// rows. With total = M the rows are spread so that every cell gets floor(M/C) or one more
// and every axis' margins differ by at most one (a balanced fraction of the grid): the
// extra rows follow an ordering of the grid in which each axis cycles through its values,
// built from cosets of the cyclic subgroup (r mod n_axis), so every prefix is balanced.
// The seed shuffles the axis orders and the cosets, so which cells get the extra row is
// reproducible per seed.
//
// Row seeds depend only on the master seed, the cell and the replicate number, so a row
// keeps its seed when other cells or quotas change.
//
// All functions are pure or only touch the files they name; they are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "emonet/taxonomy.h"

namespace emonet {

struct DesignAxes {
  std::vector<std::string> ethnicities;
  std::vector<std::string> ages;
  std::vector<std::string> genders;
};

// Spec §2.3: 14 ethnicities, 7 ages, 3 genders, values exactly as stored.
DesignAxes default_axes();
// A JSON file {"ethnicity": [...], "age": [...], "gender": [...]}; each list non-empty,
// values strings or integers, no duplicates. Errors name the file and the key.
DesignAxes load_axes(const std::string& path);

// The default prompt template (same text as templates/binary-v1.txt in the repository).
const std::string& binary_prompt_template();

// A prompt template with {ethnicity} {gender} {age} {emotion} {synonyms} fields; "{{"
// and "}}" are literal braces. Parsing reports an unknown field with its name, the
// source and the line.
class PromptTemplate {
 public:
  PromptTemplate(const std::string& text, const std::string& source);
  static PromptTemplate load(const std::string& path);
  std::string render(const std::map<std::string, std::string>& values) const;
  const std::vector<std::string>& fields() const { return fields_; }

 private:
  struct Piece {
    bool is_field;
    std::string text;
  };
  std::vector<Piece> pieces_;
  std::vector<std::string> fields_;
};

struct DesignOptions {
  std::size_t per_cell = 0;  // exactly one of per_cell / total is non-zero
  std::size_t total = 0;
  std::vector<const Category*> emotions;  // empty = all 40
  std::uint64_t seed = 0;
  DesignAxes axes = default_axes();
  std::string template_text = binary_prompt_template();
  std::string template_source = "binary-v1";
  const Guide* guide = nullptr;  // synonyms; without it {synonyms} is the lower-case name
};

struct DesignRow {
  std::string id;         // zero-padded row number
  std::string file_name;  // images/<id>.png
  std::string prompt;
  std::string ethnicity, age, gender, emotion;
  std::uint32_t seed = 0;
};

// Parses "all" or a comma-separated list of emotion names (any form lookup() accepts).
std::vector<const Category*> parse_emotion_list(const std::string& text);

std::vector<DesignRow> make_design(const DesignOptions& options);
// design.csv: id,file_name,prompt,ethnicity,age,gender,emotion,seed (written atomically).
void write_design_csv(const std::string& path, const std::vector<DesignRow>& rows);

}  // namespace emonet
