// Loading hq.csv and joining prediction files (see emonet/bench_hq.h for the rules).
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <unordered_map>

#include "emonet/bench_hq.h"
#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/pydict.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::bench {
namespace {

constexpr std::string_view kExtraPrefix = "Extra Dimensions|";

bool parse_human(const std::string& text, const std::string& file, long line) {
  if (text == "True" || text == "true" || text == "TRUE") return true;
  if (text == "False" || text == "false" || text == "FALSE") return false;
  throw Error("must be True or False, got '" + text + "'", {file, line, "human"});
}

// The category of an hq.csv key, which must be written exactly as "Group|Emotion".
const Category& emotion_of_key(const std::string& key, const std::string& file, long line) {
  const Category* c = find_category(key);
  if (!c || c->is_extra() || c->hq_key != key) {
    std::string message = "unknown emotion key '" + key + "'";
    if (c && !c->is_extra()) {
      message += "; hq.csv keys are written '" + std::string(c->hq_key) + "'";
    } else {
      try {
        lookup(key);
      } catch (const Error& e) {
        message = e.message();
      }
    }
    throw Error(message, {file, line, "annotations"});
  }
  return *c;
}

std::string file_name_of(const std::string& path) {
  const auto slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct Row {
  std::size_t annotator;
  std::size_t image;  // first-appearance id
  PyDictEntries entries;
  long line;
};

}  // namespace

HqData load_hq(const std::string& path) {
  CsvReader reader = CsvReader::open(path);
  reader.read_header();
  const std::size_t c_image = reader.column("image");
  const std::size_t c_annotator = reader.column("annotator");
  const std::size_t c_annotations = reader.column("annotations");
  const auto c_human = reader.find_column("human");

  HqData data;
  data.source = path;
  std::unordered_map<std::string, std::size_t> annotator_ids, image_ids;
  std::vector<std::string> image_names;
  std::vector<Row> rows;

  CsvRecord rec;
  while (reader.next(rec)) {
    const std::string& image = rec[c_image];
    const std::string& annotator = rec[c_annotator];
    if (image.empty()) throw Error("empty image name", {path, rec.line, "image"});
    if (annotator.empty()) throw Error("empty annotator name", {path, rec.line, "annotator"});
    // Without a `human` column the notebook treats every row as human.
    const bool human = c_human ? parse_human(rec[*c_human], path, rec.line) : true;
    auto [a_it, a_new] = annotator_ids.try_emplace(annotator, data.annotators.size());
    if (a_new) {
      data.annotators.push_back({annotator, human});
    } else if (data.annotators[a_it->second].human != human) {
      throw Error("annotator '" + annotator + "' is marked both human and model",
                  {path, rec.line, "human"});
    }
    auto [i_it, i_new] = image_ids.try_emplace(image, image_names.size());
    if (i_new) image_names.push_back(image);

    Row row{a_it->second, i_it->second, {}, rec.line};
    try {
      row.entries = parse_python_dict(rec[c_annotations]);
    } catch (const Error& e) {
      throw Error(e.message(), {path, rec.line, "annotations"});
    }
    const bool hume = annotator.find("Hume Face*") != std::string::npos;
    for (auto& [key, value] : row.entries) {
      if (starts_with(key, kExtraPrefix)) continue;
      emotion_of_key(key, path, rec.line);
      if (!std::isfinite(value))
        throw Error("rating of '" + key + "' is not a finite number",
                    {path, rec.line, "annotations"});
      if (hume) value *= 7;  // Hume reports 0..1; the notebook rescales to 0..7
    }
    if (rows.empty()) {
      // emotion_list: the first row's keys in order, extra dimensions dropped.
      for (const auto& [key, value] : row.entries) {
        if (starts_with(key, kExtraPrefix)) continue;
        if (std::find(data.emotion_keys.begin(), data.emotion_keys.end(), key) !=
            data.emotion_keys.end())
          continue;
        data.emotion_keys.push_back(key);
        data.emotion_names.emplace_back(emotion_of_key(key, path, rec.line).name);
      }
      if (data.emotion_keys.empty())
        throw Error("the first row's annotations name no emotion (the emotion list comes from it)",
                    {path, rec.line, "annotations"});
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw Error("no data rows", {path, 1, ""});
  data.rows = rows.size();

  // Images in name order (the pivot table's index order).
  std::vector<std::size_t> order(image_names.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return image_names[a] < image_names[b]; });
  std::vector<std::size_t> rank(order.size());
  for (std::size_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = r;
    data.images.push_back(image_names[order[r]]);
  }

  const std::size_t E = data.num_emotions(), A = data.annotators.size(), I = data.images.size();
  data.ratings.assign(E * A * I, 0.0);
  std::vector<std::uint32_t> count(A * I, 0);
  std::unordered_map<std::string_view, std::size_t> emotion_index;
  for (std::size_t e = 0; e < E; ++e) emotion_index.emplace(data.emotion_keys[e], e);
  std::vector<double> value(E);
  for (const Row& row : rows) {
    std::fill(value.begin(), value.end(), 0.0);  // annotations.get(emotion, 0)
    for (const auto& [key, v] : row.entries) {
      auto it = emotion_index.find(key);
      if (it != emotion_index.end()) value[it->second] = v;
    }
    const std::size_t i = rank[row.image];
    if (count[row.annotator * I + i]++ > 0) ++data.duplicate_rows;
    for (std::size_t e = 0; e < E; ++e) data.series(e, row.annotator)[i] += value[e];
  }
  // Pivot mean; cells never rated become NaN.
  for (std::size_t a = 0; a < A; ++a) {
    for (std::size_t i = 0; i < I; ++i) {
      const std::uint32_t n = count[a * I + i];
      for (std::size_t e = 0; e < E; ++e) {
        double& cell = data.series(e, a)[i];
        cell = n == 0 ? kNaN : (n == 1 ? cell : cell / static_cast<double>(n));
      }
    }
  }
  return data;
}

void join_predictions(HqData& data, const HqPredictions& p, bool allow_missing) {
  using json = nlohmann::json;
  if (p.name.empty()) throw Error("predictions need a --name", {p.path, 0, ""});
  if (p.score != "raw" && p.score != "mean_subtracted")
    throw Error("score must be 'raw' or 'mean_subtracted', got '" + p.score + "'",
                {p.path, 0, "score"});
  for (const auto& a : data.annotators)
    if (a.name == p.name)
      throw Error("annotator name '" + p.name + "' is already used in " + data.source,
                  {p.path, 0, ""});

  std::unordered_map<std::string, std::size_t> image_of_name;
  for (std::size_t i = 0; i < data.images.size(); ++i) {
    auto [it, fresh] = image_of_name.try_emplace(file_name_of(data.images[i]), i);
    if (!fresh)
      throw Error("two HQ images share the file name '" + it->first +
                      "'; predictions cannot be matched by file name",
                  {data.source, 0, "image"});
  }
  // Head key of every emotion in the HQ emotion order.
  std::vector<std::string> heads;
  for (const auto& key : data.emotion_keys) heads.emplace_back(lookup(key).head_key);

  const std::size_t E = data.num_emotions(), A = data.annotators.size(), I = data.images.size();
  std::vector<double> column(E * I, kNaN);  // [e * I + i]
  std::vector<bool> seen(I, false);
  const std::string text = read_file(p.path);
  std::size_t pos = 0, matched = 0;
  long line_no = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (trim(line).empty()) continue;
    json rec;
    try {
      rec = json::parse(line);
    } catch (const json::parse_error& e) {
      throw Error(std::string("invalid JSON: ") + e.what(), {p.path, line_no, ""});
    }
    if (!rec.is_object() || !rec.contains("image_path") || !rec["image_path"].is_string())
      throw Error("record has no 'image_path' string", {p.path, line_no, "image_path"});
    if (!rec.contains("results") || !rec["results"].is_object())
      throw Error("record has no 'results' object", {p.path, line_no, "results"});
    const std::string name = file_name_of(rec["image_path"].get<std::string>());
    auto it = image_of_name.find(name);
    if (it == image_of_name.end()) continue;  // not an HQ image: not part of the benchmark
    const std::size_t i = it->second;
    if (seen[i])
      throw Error("image '" + name + "' predicted twice", {p.path, line_no, "image_path"});
    seen[i] = true;
    ++matched;
    const json& results = rec["results"];
    for (std::size_t e = 0; e < E; ++e) {
      const std::string field = "results." + heads[e] + "." + p.score;
      if (!results.contains(heads[e]) || !results[heads[e]].is_object() ||
          !results[heads[e]].contains(p.score))
        throw Error("missing score", {p.path, line_no, field});
      const json& v = results[heads[e]][p.score];
      if (!v.is_number()) throw Error("score is not a number", {p.path, line_no, field});
      const double d = v.get<double>();
      if (!std::isfinite(d)) throw Error("score is not finite", {p.path, line_no, field});
      column[e * I + i] = d;
    }
  }
  if (matched < I && !allow_missing) {
    std::vector<std::string> missing;
    for (std::size_t i = 0; i < I && missing.size() < 5; ++i)
      if (!seen[i]) missing.push_back(file_name_of(data.images[i]));
    throw Error(std::to_string(I - matched) + " of " + std::to_string(I) +
                    " HQ images have no prediction (e.g. " + join(missing, ", ") +
                    "); pass --allow-missing to score the rest",
                {p.path, 0, ""});
  }

  // Insert the new annotator column after the existing ones.
  std::vector<double> ratings((A + 1) * E * I);
  for (std::size_t e = 0; e < E; ++e) {
    std::copy_n(data.ratings.data() + e * A * I, A * I, ratings.data() + e * (A + 1) * I);
    std::copy_n(column.data() + e * I, I, ratings.data() + (e * (A + 1) + A) * I);
  }
  data.ratings = std::move(ratings);
  data.annotators.push_back({p.name, false});
}

}  // namespace emonet::bench
