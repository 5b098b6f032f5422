// Import and export in the authors' formats (spec §3.2, §4, §5.1):
//   hq.csv      image, annotator, human, annotations  — one row per (image, expert) with a
//               Python dict literal of all 40 "Group|Emotion" keys (untouched = 0)
//   binary.csv  path, annotator, value, emotion        — True/False, sorted by path then
//               annotator (ties keep item order, like the authors' file)
//   compare.csv image, annotator, pick, source, response_ms
//   jsonl       the latest answer per (item, expert); events.jsonl every event, edits too
// Exports read the latest answer of each expert for each item. Thread-safe as the Store.
#pragma once

#include <cstdint>
#include <string>

#include "annotate/store.h"

namespace emonet::annotate {

// Formats valid for `project` ("hq.csv" only for intensity, and so on).
std::string export_project(Store& store, const Project& project, const std::string& format);

struct ImportSummary {
  std::int64_t project_id = 0;
  std::int64_t items = 0;
  std::int64_t answers = 0;
  std::int64_t skipped = 0;  // hq.csv rows of model annotators (human == False)
};

// Creates a project named `name` from the authors' binary.csv or hq.csv (format chosen by
// the header) with every answer as an imported event. `images_dir` may be "" (no images).
ImportSummary import_authors_csv(Store& store, const std::string& name, const std::string& csv_path,
                                 const std::string& images_dir, const std::string& guide,
                                 std::int64_t now_ms);

}  // namespace emonet::annotate
