// read_labels: training targets from the label files the project knows (train.h).
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "emonet/bench_hq.h"
#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/jsonl.h"
#include "emonet/pydict.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"
#include "emonet/train.h"

namespace emonet::train {

namespace {

constexpr float kNoLabel = std::numeric_limits<float>::quiet_NaN();

// Rows keyed by image id in first-appearance order.
class Builder {
 public:
  explicit Builder(LabelSet& set) : set_(set) {}
  // Row of `id`; with unique, a second appearance is an error.
  float* row(const std::string& id, bool unique, const ErrorContext& where) {
    auto [it, inserted] = index_.emplace(id, set_.ids.size());
    if (inserted) {
      set_.ids.push_back(id);
      set_.targets.resize(set_.targets.size() + kHeads, kNoLabel);
    } else if (unique) {
      throw Error("image '" + id + "' appears twice", where);
    }
    return set_.targets.data() + it->second * kHeads;
  }

 private:
  LabelSet& set_;
  std::unordered_map<std::string, std::size_t> index_;
};

const Category& category_or_throw(const std::string& name, const ErrorContext& where) {
  const Category* c = find_category(name);
  if (!c) {
    try {
      lookup(name);  // throws with the closest valid names
    } catch (const Error& e) {
      throw Error(e.message(), where);
    }
  }
  return *c;
}

float finite_or_throw(double v, const ErrorContext& where) {
  if (!std::isfinite(v)) throw Error("label is not a finite number", where);
  return float(v);
}

// A JSON rating: a number or {"rating": number} (the raw multi-shot reply). null = none.
std::optional<float> json_rating(const nlohmann::json& v, const ErrorContext& where) {
  if (v.is_null()) return std::nullopt;
  if (v.is_number()) return finite_or_throw(v.get<double>(), where);
  if (v.is_object() && v.contains("rating")) return json_rating(v["rating"], where);
  throw Error("expected a number or {\"rating\": number}", where);
}

void read_jsonl(const std::string& path, LabelSet& set) {
  Builder b(set);
  const std::string text = read_file(path);
  for_each_jsonl_record(text, path, [&](nlohmann::json& j, long line_no) {
    if (!j.is_object()) throw Error("expected a JSON object per line", {path, line_no, ""});
    if (j.contains("status") && j["status"] != "ok") return;  // failed VLM records
    std::string id;
    for (const char* k : {"image_path", "file_name", "image", "id"}) {
      if (j.contains(k)) {
        if (!j[k].is_string()) throw Error("image id must be a string", {path, line_no, k});
        id = j[k].get<std::string>();
        break;
      }
    }
    if (id.empty())
      throw Error("no image id (image_path, file_name, image or id)", {path, line_no, ""});
    const nlohmann::json& body = j.contains("predictions") ? j["predictions"] : j;
    float* row = b.row(id, true, {path, line_no, "image_path"});
    bool any = false;
    for (const char* field : {"emotions", "extra_dimensions", "annotations"}) {
      if (!body.contains(field)) continue;
      const auto& obj = body[field];
      if (!obj.is_object()) throw Error("expected an object", {path, line_no, field});
      for (const auto& [name, value] : obj.items()) {
        const ErrorContext where{path, line_no, std::string(field) + "." + name};
        const Category& c = category_or_throw(name, where);
        if (auto r = json_rating(value, where)) {
          row[c.index] = *r;
          any = true;
        }
      }
    }
    if (!any)
      throw Error("no labels (emotions, extra_dimensions or annotations)", {path, line_no, ""});
  });
}

void read_metadata_csv(CsvReader& csv, LabelSet& set) {
  Builder b(set);
  const auto& header = csv.header();
  const std::size_t file_col = csv.column("file_name");
  std::vector<std::pair<std::size_t, const Category*>> score_cols;
  for (std::size_t i = 0; i < header.size(); ++i)
    if (const Category* c = find_category(header[i])) score_cols.emplace_back(i, c);
  const auto ann_col = csv.find_column("annotations");
  if (score_cols.empty() && !ann_col)
    throw Error("no score columns (headers naming emotions) and no annotations column",
                {csv.source(), 1, ""});
  CsvRecord r;
  while (csv.next(r)) {
    float* row = b.row(r[file_col], true, {csv.source(), r.line, "file_name"});
    for (const auto& [col, c] : score_cols) {
      const std::string_view text = trim(r[col]);
      if (text.empty()) continue;
      const ErrorContext where{csv.source(), r.line, header[col]};
      try {
        row[c->index] = finite_or_throw(parse_double(text, "score"), where);
      } catch (const Error& e) {
        throw Error(e.message(), where);
      }
    }
    if (ann_col && !trim(r[*ann_col]).empty()) {
      const ErrorContext where{csv.source(), r.line, "annotations"};
      PyDictEntries entries;
      try {
        entries = parse_python_dict(r[*ann_col]);
      } catch (const Error& e) {
        throw Error(e.message(), where);
      }
      for (const auto& [key, value] : entries)
        row[category_or_throw(key, {csv.source(), r.line, "annotations." + key}).index] =
            finite_or_throw(value, where);
    }
  }
}

void read_binary_csv(CsvReader& csv, LabelSet& set) {
  Builder b(set);
  const std::size_t path_col = csv.column("path"), value_col = csv.column("value"),
                    emotion_col = csv.column("emotion");
  // Yes and total votes per (image row, head).
  std::map<std::pair<std::size_t, std::size_t>, std::pair<int, int>> votes;
  CsvRecord r;
  while (csv.next(r)) {
    const ErrorContext where{csv.source(), r.line, "value"};
    const std::string& v = r[value_col];
    int yes;
    if (v == "True")
      yes = 1;
    else if (v == "False")
      yes = 0;
    else
      throw Error("value '" + v + "' is neither True nor False", where);
    const Category& c = category_or_throw(r[emotion_col], {csv.source(), r.line, "emotion"});
    const auto row = std::size_t(b.row(r[path_col], false, where) - set.targets.data()) / kHeads;
    auto& [y, n] = votes[{row, c.index}];
    y += yes;
    ++n;
  }
  for (const auto& [key, yn] : votes)
    set.targets[key.first * kHeads + key.second] = float(yn.first) / float(yn.second);
}

void read_hq_csv(const std::string& path, LabelSet& set) {
  const bench::HqData hq = bench::load_hq(path, 1);
  Builder b(set);
  std::vector<std::size_t> heads;
  for (const auto& key : hq.emotion_keys) heads.push_back(lookup(key).index);
  for (std::size_t i = 0; i < hq.images.size(); ++i) {
    float* row = b.row(hq.images[i], true, {path, 0, "image"});
    for (std::size_t e = 0; e < heads.size(); ++e) {
      double sum = 0.0;
      int n = 0;
      for (std::size_t a = 0; a < hq.annotators.size(); ++a) {
        if (!hq.annotators[a].human) continue;
        const double v = hq.series(e, a)[i];
        if (std::isnan(v)) continue;
        sum += v;
        ++n;
      }
      if (n > 0) row[heads[e]] = float(sum / n);
    }
  }
  if (set.ids.empty()) throw Error("no images", {path, 0, ""});
}

}  // namespace

std::size_t LabelSet::labelled(std::size_t head) const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) n += !std::isnan(targets[i * kHeads + head]);
  return n;
}

LabelSet read_labels(const std::string& path, LabelFormat format) {
  LabelSet set;
  set.source = path;
  if (format == LabelFormat::Auto && (ends_with(path, ".jsonl") || ends_with(path, ".json")))
    format = LabelFormat::Jsonl;
  if (format == LabelFormat::Jsonl) {
    set.format = "jsonl";
    read_jsonl(path, set);
  } else {
    auto csv = CsvReader::open(path);
    csv.read_header();
    if (format == LabelFormat::Auto) {
      if (csv.find_column("path") && csv.find_column("value") && csv.find_column("emotion"))
        format = LabelFormat::BinaryCsv;
      else if (csv.find_column("annotations") && csv.find_column("annotator"))
        format = LabelFormat::HqCsv;
      else if (csv.find_column("file_name"))
        format = LabelFormat::MetadataCsv;
      else
        throw Error(
            "unknown label file: expected binary.csv (path,annotator,value,emotion), "
            "hq.csv (image,annotator,annotations) or metadata.csv (file_name + score "
            "columns)",
            {path, 1, ""});
    }
    if (format == LabelFormat::BinaryCsv) {
      set.format = "binary.csv";
      read_binary_csv(csv, set);
    } else if (format == LabelFormat::HqCsv) {
      set.format = "hq.csv";
      read_hq_csv(path, set);
    } else {
      set.format = "metadata.csv";
      read_metadata_csv(csv, set);
    }
  }
  if (set.ids.empty()) throw Error("no labelled images", {path, 0, ""});
  return set;
}

}  // namespace emonet::train
