// Loading hq.csv and joining prediction files (see emonet/bench_hq.h for the rules).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <nlohmann/json.hpp>
#include <numeric>
#include <unordered_map>

#include "bench/file_text.h"
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

// Fast path for the shape every hq.csv dict has: quoted keys without backslashes and
// plain decimal numbers, `{'k': 1, "k2": -0.5e-3}`. Returns false on anything else (and
// on inf/nan) so that the caller falls back to parse_python_dict, which accepts the full
// literal grammar and reports errors precisely. Keys are views into `s`.
bool parse_simple_dict(std::string_view s, std::vector<std::pair<std::string_view, double>>& out) {
  out.clear();
  std::size_t i = 0;
  auto ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  };
  ws();
  if (i >= s.size() || s[i] != '{') return false;
  ++i;
  ws();
  if (i < s.size() && s[i] == '}') return ++i, ws(), i == s.size();
  while (true) {
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) return false;
    const char quote = s[i++];
    const std::size_t start = i;
    while (i < s.size() && s[i] != quote) {
      if (s[i] == '\\' || s[i] == '\n') return false;
      ++i;
    }
    if (i >= s.size()) return false;
    const std::string_view key = s.substr(start, i - start);
    ++i;
    ws();
    if (i >= s.size() || s[i] != ':') return false;
    ++i;
    ws();
    const std::size_t num = i;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.' ||
                            s[i] == 'e' || s[i] == 'E' || s[i] == '+'))
      ++i;
    if (i == num || s[num] == '+') return false;
    double value = 0;
    const auto [end, ec] = std::from_chars(s.data() + num, s.data() + i, value);
    if (ec != std::errc() || end != s.data() + i) return false;
    out.emplace_back(key, value);
    ws();
    if (i < s.size() && s[i] == ',') {
      ++i;
      ws();
      if (i < s.size() && s[i] == '}') break;  // trailing comma
      continue;
    }
    if (i < s.size() && s[i] == '}') break;
    return false;
  }
  ++i;
  ws();
  return i == s.size();
}

struct Row {
  std::size_t annotator;
  std::size_t image;  // first-appearance id
  std::size_t first;  // offset of its E values in the value pool
};

}  // namespace

HqData load_hq(const std::string& path) {
  CsvReader reader(read_text(path), path);
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
  std::vector<double> pool;  // E values per row
  std::vector<std::pair<std::string_view, double>> entries;
  PyDictEntries owned;
  // Keys seen so far -> emotion index (-1: a valid emotion outside the emotion list).
  std::unordered_map<std::string_view, int> key_index;
  std::deque<std::string> known_keys;  // owns the views of keys outside the emotion list

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

    // Parse the dict: fast path first, the full literal parser when it declines.
    std::string_view text = rec[c_annotations];
    if (!parse_simple_dict(text, entries)) {
      try {
        owned = parse_python_dict(text);
      } catch (const Error& e) {
        throw Error(e.message(), {path, rec.line, "annotations"});
      }
      entries.clear();
      for (const auto& [k, v] : owned) entries.emplace_back(k, v);
    }
    if (rows.empty()) {
      // emotion_list: the first row's keys in order, extra dimensions dropped.
      for (const auto& [key, value] : entries) {
        if (starts_with(key, kExtraPrefix)) continue;
        const std::string k(key);
        if (std::find(data.emotion_keys.begin(), data.emotion_keys.end(), k) !=
            data.emotion_keys.end())
          continue;
        data.emotion_names.emplace_back(emotion_of_key(k, path, rec.line).name);
        data.emotion_keys.push_back(k);
      }
      if (data.emotion_keys.empty())
        throw Error("the first row's annotations name no emotion (the emotion list comes from it)",
                    {path, rec.line, "annotations"});
      for (std::size_t e = 0; e < data.emotion_keys.size(); ++e)
        key_index.emplace(data.emotion_keys[e], static_cast<int>(e));
    }
    const std::size_t E = data.emotion_keys.size();
    const bool hume = annotator.find("Hume Face*") != std::string::npos;
    const std::size_t first = pool.size();
    pool.resize(first + E, 0.0);  // annotations.get(emotion, 0)
    for (const auto& [key, value] : entries) {
      if (starts_with(key, kExtraPrefix)) continue;
      auto it = key_index.find(key);
      if (it == key_index.end()) {
        // A valid key outside the emotion list is ignored, as the notebook ignores it.
        emotion_of_key(std::string(key), path, rec.line);
        it = key_index.emplace(known_keys.emplace_back(key), -1).first;
      }
      if (!std::isfinite(value))
        throw Error("rating of '" + std::string(key) + "' is not a finite number",
                    {path, rec.line, "annotations"});
      // Hume reports 0..1; the notebook rescales to 0..7 before anything else.
      if (it->second >= 0)
        pool[first + static_cast<std::size_t>(it->second)] = hume ? value * 7 : value;
    }
    rows.push_back({a_it->second, i_it->second, first});
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
  for (const Row& row : rows) {
    const std::size_t i = rank[row.image];
    if (count[row.annotator * I + i]++ > 0) ++data.duplicate_rows;
    for (std::size_t e = 0; e < E; ++e) data.series(e, row.annotator)[i] += pool[row.first + e];
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
  const std::string text = read_text(p.path);
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
