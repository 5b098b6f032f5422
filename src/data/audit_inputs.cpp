// `data audit` inputs: dataset rows with their demographic labels (metadata.csv, image
// folders, WebDataset shards), design rows, and prediction scores matched to the rows.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "data/webdataset_reader.h"
#include "emonet/csv.h"
#include "emonet/data_audit.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/jsonl.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::data {
namespace fs = std::filesystem;
using json = nlohmann::json;

std::string fairface_group(const std::string& e) {
  static const std::unordered_map<std::string, std::string> map = {
      {"white caucasian european", "White"},
      {"white caucasian north american", "White"},
      {"White", "White"},
      {"Black or African American", "Black"},
      {"Hispanic or Latino", "Latino"},
      {"Asian", "East Asian"},
      {"Southeast Asian", "Southeast Asian"},
      {"Indian", "Indian"},
      {"South Asian", "Indian"},
      {"Middle Eastern", "Middle Eastern"},
      {"arabic", "Middle Eastern"},
      {"North African", "Middle Eastern"},
      {"American Indian or Alaska Native", "AI/AN-NHPI"},
      {"Native Hawaiian or Other Pacific Islander", "AI/AN-NHPI"},
  };
  if (e.empty()) return "";
  const auto it = map.find(e);
  return it == map.end() ? "Other" : it->second;
}

const std::vector<std::string>& group_axes() {
  static const std::vector<std::string> axes = {"ethnicity", "fairface", "age", "gender"};
  return axes;
}

std::string AuditRow::axis(const std::string& name) const {
  if (name == "ethnicity") return ethnicity;
  if (name == "fairface") return fairface_group(ethnicity);
  if (name == "age") return age;
  if (name == "gender") return gender;
  if (name == "emotion") return emotion;
  throw Error("unknown axis '" + name + "'", {"", 0, "axis"});
}

namespace {

// Column of one of the four labels, matched case-insensitively (HQ metadata capitalises).
std::optional<std::size_t> label_column(const CsvReader& csv, const std::string& name) {
  const auto& h = csv.header();
  for (std::size_t i = 0; i < h.size(); ++i)
    if (to_lower(h[i]) == name) return i;
  return std::nullopt;
}

struct LabelColumns {
  std::optional<std::size_t> ethnicity, age, gender, emotion;
};

LabelColumns label_columns(const CsvReader& csv) {
  return {label_column(csv, "ethnicity"), label_column(csv, "age"), label_column(csv, "gender"),
          label_column(csv, "emotion")};
}

void set_labels(AuditRow& row, const CsvRecord& r, const LabelColumns& c) {
  auto get = [&](const std::optional<std::size_t>& i) {
    return i ? std::string(trim(r[*i])) : std::string();
  };
  row.ethnicity = get(c.ethnicity);
  row.age = get(c.age);
  row.gender = get(c.gender);
  row.emotion = get(c.emotion);
}

std::vector<AuditRow> load_manifest(const std::string& path) {
  const auto items = list_images({path});
  auto csv = CsvReader::open(path);
  csv.read_header();
  const auto cols = label_columns(csv);
  std::vector<AuditRow> rows;
  rows.reserve(items.size());
  CsvRecord r;
  for (const auto& item : items) {
    if (!csv.next(r)) throw Error("manifest changed while reading", {path, 0, ""});
    AuditRow row;
    row.item = item;
    set_labels(row, r, cols);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string json_label(const json& j, const std::string& name, const std::string& where) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (to_lower(it.key()) != name) continue;
    if (it->is_string()) return std::string(trim(it->get<std::string>()));
    if (it->is_number_integer()) return std::to_string(it->get<long long>());
    if (it->is_null()) return "";
    throw Error("label must be a string or an integer", {where, 0, it.key()});
  }
  return "";
}

// The JSON member of a shard sample: <dir/><key>.json next to the image member.
std::string json_member(const std::string& image_member) {
  const auto slash = image_member.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : image_member.substr(0, slash + 1);
  const std::string base = image_member.substr(dir.size());
  return dir + base.substr(0, base.find('.')) + ".json";
}

std::vector<AuditRow> load_shards(const std::string& input) {
  const auto items = list_images({input});
  ImageReader reader;
  std::vector<AuditRow> rows;
  rows.reserve(items.size());
  for (const auto& item : items) {
    ImageItem meta = item;
    meta.member = json_member(item.member);
    const std::string where = item.file + ":" + meta.member;
    const auto bytes = reader.read(meta);
    json j;
    try {
      j = json::parse(bytes.begin(), bytes.end());
    } catch (const json::parse_error& e) {
      throw Error(std::string("invalid JSON: ") + e.what(), {where, 0, ""});
    }
    if (!j.is_object()) throw Error("sample JSON is not an object", {where, 0, ""});
    AuditRow row;
    row.item = item;
    row.ethnicity = json_label(j, "ethnicity", where);
    row.age = json_label(j, "age", where);
    row.gender = json_label(j, "gender", where);
    row.emotion = json_label(j, "emotion", where);
    rows.push_back(std::move(row));
  }
  return rows;
}

bool is_csv(const std::string& p) {
  return ends_with(to_lower(p), ".csv");
}

}  // namespace

std::vector<AuditRow> load_audit_rows(const std::string& input) {
  std::error_code ec;
  if (fs::is_directory(input, ec)) {
    if (detail::is_shard_folder(input)) return load_shards(input);
    const auto meta = fs::path(input) / "metadata.csv";
    if (fs::exists(meta, ec)) return load_manifest(meta.string());
    std::vector<AuditRow> rows;
    for (auto& item : list_images({input}))
      rows.push_back(AuditRow{std::move(item), {}, {}, {}, {}});
    return rows;
  }
  if (!fs::exists(input, ec)) throw Error("no such file or directory", {input, 0, ""});
  if (is_csv(input)) return load_manifest(input);
  if (ends_with(to_lower(input), ".tar")) return load_shards(input);
  throw Error("expected a folder, a metadata.csv or WebDataset shards (.tar, index.json)",
              {input, 0, ""});
}

std::vector<AuditRow> load_design_rows(const std::string& path) {
  auto csv = CsvReader::open(path);
  csv.read_header();
  const auto cols = label_columns(csv);
  const char* names[] = {"ethnicity", "age", "gender", "emotion"};
  const std::optional<std::size_t>* present[] = {&cols.ethnicity, &cols.age, &cols.gender,
                                                 &cols.emotion};
  for (int i = 0; i < 4; ++i)
    if (!*present[i]) throw Error("design has no column", {path, 1, names[i]});
  std::vector<AuditRow> rows;
  CsvRecord r;
  while (csv.next(r)) {
    AuditRow row;
    set_labels(row, r, cols);
    for (int i = 0; i < 4; ++i)
      if (row.axis(names[i]).empty())
        throw Error("empty label in design", {path, r.line, names[i]});
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw Error("design has no rows", {path, 0, ""});
  return rows;
}

ScoreTable load_scores(const std::string& path, const std::vector<AuditRow>& rows,
                       const std::string& score) {
  if (score != "raw" && score != "mean_subtracted" && score != "softmax")
    throw Error("score must be raw, mean_subtracted or softmax, got '" + score + "'",
                {path, 0, "score"});
  std::unordered_map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < rows.size(); ++i) by_id.emplace(rows[i].item.id, i);
  auto match = [&](const std::string& p) -> std::optional<std::size_t> {
    if (auto it = by_id.find(p); it != by_id.end()) return it->second;
    for (std::size_t s = p.find('/'); s != std::string::npos; s = p.find('/', s + 1))
      if (auto it = by_id.find(p.substr(s + 1)); it != by_id.end()) return it->second;
    return std::nullopt;
  };

  ScoreTable t;
  std::vector<const Category*> heads;
  std::vector<bool> seen(rows.size(), false);
  const std::string text = read_file(path);
  for_each_jsonl_record(text, path, [&](json& rec, long line_no) {
    if (!rec.is_object() || !rec.contains("image_path") || !rec["image_path"].is_string())
      throw Error("record has no 'image_path' string", {path, line_no, "image_path"});
    if (!rec.contains("results") || !rec["results"].is_object())
      throw Error("record has no 'results' object", {path, line_no, "results"});
    if (rec.contains("face") && !(rec["face"].is_number_integer() && rec["face"].get<long>() == 0))
      return;
    const json& results = rec["results"];
    if (heads.empty()) {
      for (const auto& c : emotions())
        if (results.contains(std::string(c.head_key))) heads.push_back(&c);
      if (heads.empty())
        throw Error("record has no emotion head (model_<emotion>_best)",
                    {path, line_no, "results"});
      for (const auto* c : heads) t.emotions.emplace_back(c->name);
      t.per_row.assign(rows.size(), std::vector<double>(heads.size(), kAuditNaN));
    }
    const auto row = match(rec["image_path"].get<std::string>());
    if (!row) {
      ++t.unmatched;
      return;
    }
    if (seen[*row])
      throw Error("image '" + rows[*row].item.id + "' predicted twice",
                  {path, line_no, "image_path"});
    seen[*row] = true;
    ++t.matched;
    for (std::size_t e = 0; e < heads.size(); ++e) {
      const std::string key(heads[e]->head_key);
      const std::string field = "results." + key + "." + score;
      if (!results.contains(key) || !results[key].is_object() || !results[key].contains(score))
        throw Error("missing score", {path, line_no, field});
      const json& v = results[key][score];
      if (!v.is_number()) throw Error("score is not a number", {path, line_no, field});
      const double d = v.get<double>();
      if (!std::isfinite(d)) throw Error("score is not finite", {path, line_no, field});
      t.per_row[*row][e] = d;
    }
  });
  if (heads.empty()) throw Error("no prediction records", {path, 0, ""});
  return t;
}

}  // namespace emonet::data
