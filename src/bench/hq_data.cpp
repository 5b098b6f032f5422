// Loading hq.csv and joining prediction files (see emonet/bench_hq.h for the rules).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <future>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "bench/file_text.h"
#include "bench/parallel.h"
#include "emonet/bench_hq.h"
#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/jsonl.h"
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

// One parsed data row: names, flag and its E ratings (in the chunk's value pool).
struct ParsedRow {
  std::string image, annotator;
  bool human = true;
  long line = 0;
  std::size_t first = 0;
};

// The rows of one contiguous part of the file, parsed by one thread. Parsing stops at the
// part's first error, which is kept to be thrown in file order after the rows before it.
struct Chunk {
  std::vector<ParsedRow> rows;
  std::vector<double> pool;
  std::exception_ptr error;
};

struct Columns {
  std::size_t image, annotator, annotations, count;
  std::optional<std::size_t> human;
};

// What every chunk needs to turn a record into ratings: the emotion list's keys.
class RowParser {
 public:
  RowParser(const std::string& path, const Columns& columns,
            const std::unordered_map<std::string_view, int>& emotion_index, std::size_t E)
      : path_(path), c_(columns), emotion_index_(emotion_index), E_(E) {}

  void parse(const CsvRecord& rec, long line, Chunk& out) {
    if (rec.size() != c_.count)
      throw Error(
          "expected " + std::to_string(c_.count) + " fields, found " + std::to_string(rec.size()),
          {path_, line, ""});
    ParsedRow row;
    row.image = rec[c_.image];
    row.annotator = rec[c_.annotator];
    row.line = line;
    if (row.image.empty()) throw Error("empty image name", {path_, line, "image"});
    if (row.annotator.empty()) throw Error("empty annotator name", {path_, line, "annotator"});
    // Without a `human` column the notebook treats every row as human.
    row.human = c_.human ? parse_human(rec[*c_.human], path_, line) : true;
    entries_of(rec[c_.annotations], line);
    const bool hume = row.annotator.find("Hume Face*") != std::string::npos;
    row.first = out.pool.size();
    out.pool.resize(row.first + E_, 0.0);  // annotations.get(emotion, 0)
    for (const auto& [key, value] : entries_) {
      if (starts_with(key, kExtraPrefix)) continue;
      const int e = index_of(key, line);
      if (!std::isfinite(value))
        throw Error("rating of '" + std::string(key) + "' is not a finite number",
                    {path_, line, "annotations"});
      // Hume reports 0..1; the notebook rescales to 0..7 before anything else.
      if (e >= 0) out.pool[row.first + static_cast<std::size_t>(e)] = hume ? value * 7 : value;
    }
    out.rows.push_back(std::move(row));
  }

  // The dict of one record: fast path first, the full literal parser when it declines.
  const std::vector<std::pair<std::string_view, double>>& entries_of(std::string_view text,
                                                                     long line) {
    if (!parse_simple_dict(text, entries_)) {
      try {
        owned_ = parse_python_dict(text);
      } catch (const Error& e) {
        throw Error(e.message(), {path_, line, "annotations"});
      }
      entries_.clear();
      for (const auto& [k, v] : owned_) entries_.emplace_back(k, v);
    }
    return entries_;
  }

 private:
  // Emotion-list index of a key, -1 for a valid emotion outside the list (ignored, as the
  // notebook ignores it); unknown keys throw.
  int index_of(std::string_view key, long line) {
    if (auto it = emotion_index_.find(key); it != emotion_index_.end()) return it->second;
    if (auto it = other_keys_.find(key); it != other_keys_.end()) return -1;
    emotion_of_key(std::string(key), path_, line);
    other_keys_.emplace(owned_keys_.emplace_back(key));
    return -1;
  }

  const std::string& path_;
  const Columns& c_;
  const std::unordered_map<std::string_view, int>& emotion_index_;
  std::size_t E_;
  std::vector<std::pair<std::string_view, double>> entries_;
  PyDictEntries owned_;
  std::unordered_set<std::string_view> other_keys_;
  std::deque<std::string> owned_keys_;
};

// A split point near the middle of `text` that starts a record: just after a newline that
// is outside quotes (an even number of quote characters before it; a doubled quote inside
// a field counts twice). npos if there is none.
std::size_t record_boundary_near_middle(const std::string& text, std::size_t start) {
  const std::size_t mid = start + (text.size() - start) / 2;
  std::size_t quotes = 0;
  for (std::size_t i = start; i < mid; ++i) quotes += text[i] == '"' ? 1 : 0;
  for (std::size_t i = mid; i < text.size(); ++i) {
    if (text[i] == '"') ++quotes;
    if (text[i] == '\n' && quotes % 2 == 0) return i + 1 < text.size() ? i + 1 : std::string::npos;
  }
  return std::string::npos;
}

}  // namespace

HqData load_hq(const std::string& path, unsigned threads) {
  std::string text = read_text(path);
  HqData data;
  data.source = path;
  std::string second_text;
  long second_line_offset = 0;
  // Split big files in two parts parsed concurrently (line numbers stay file-relative).
  if (worker_count(threads) > 1 && text.size() > (4u << 20)) {
    const std::size_t split = record_boundary_near_middle(text, 0);
    if (split != std::string::npos) {
      second_line_offset = static_cast<long>(std::count(text.begin(), text.begin() + split, '\n'));
      second_text = text.substr(split);
      text.resize(split);
    }
  }
  CsvReader reader(std::move(text), path);
  reader.read_header();
  Columns cols{reader.column("image"), reader.column("annotator"), reader.column("annotations"),
               reader.header().size(), reader.find_column("human")};

  CsvRecord rec;
  if (!reader.next(rec)) throw Error("no data rows", {path, 1, ""});
  std::unordered_map<std::string_view, int> emotion_index;
  {
    // emotion_list: the first row's keys in order, extra dimensions dropped.
    RowParser first(path, cols, emotion_index, 0);
    for (const auto& [key, value] : first.entries_of(rec[cols.annotations], rec.line)) {
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
      emotion_index.emplace(data.emotion_keys[e], static_cast<int>(e));
  }
  const std::size_t E = data.emotion_keys.size();

  Chunk chunks[2];
  auto second = std::async(second_text.empty() ? std::launch::deferred : std::launch::async, [&] {
    if (second_text.empty()) return;
    RowParser parser(path, cols, emotion_index, E);
    CsvReader r2(std::move(second_text), path);
    CsvRecord rec2;
    try {
      while (true) {
        try {
          if (!r2.next(rec2)) break;
        } catch (const Error& e) {
          throw Error(e.message(),
                      {path, e.context().line + second_line_offset, e.context().field});
        }
        parser.parse(rec2, rec2.line + second_line_offset, chunks[1]);
      }
    } catch (...) {
      chunks[1].error = std::current_exception();
    }
  });
  {
    RowParser parser(path, cols, emotion_index, E);
    try {
      do {
        parser.parse(rec, rec.line, chunks[0]);
      } while (reader.next(rec));
    } catch (...) {
      chunks[0].error = std::current_exception();
    }
  }
  second.get();

  // Merge in file order: annotator and image ids by first appearance.
  std::unordered_map<std::string, std::size_t> annotator_ids, image_ids;
  std::vector<std::string> image_names;
  struct Placed {
    std::size_t annotator, image;
    const double* values;
  };
  std::vector<Placed> rows;
  for (Chunk& chunk : chunks) {
    for (const ParsedRow& row : chunk.rows) {
      auto [a_it, a_new] = annotator_ids.try_emplace(row.annotator, data.annotators.size());
      if (a_new) {
        data.annotators.push_back({row.annotator, row.human});
      } else if (data.annotators[a_it->second].human != row.human) {
        throw Error("annotator '" + row.annotator + "' is marked both human and model",
                    {path, row.line, "human"});
      }
      auto [i_it, i_new] = image_ids.try_emplace(row.image, image_names.size());
      if (i_new) image_names.push_back(row.image);
      rows.push_back({a_it->second, i_it->second, chunk.pool.data() + row.first});
    }
    if (chunk.error) std::rethrow_exception(chunk.error);
  }
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

  const std::size_t A = data.annotators.size(), I = data.images.size();
  data.ratings.assign(E * A * I, 0.0);
  std::vector<std::uint32_t> count(A * I, 0);
  for (const Placed& row : rows) {
    const std::size_t i = rank[row.image];
    if (count[row.annotator * I + i]++ > 0) ++data.duplicate_rows;
    for (std::size_t e = 0; e < E; ++e) data.series(e, row.annotator)[i] += row.values[e];
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

namespace {
// One `emonet eval vlm` line: a reply that failed (status other than "ok") rates nothing,
// so its cells stay NaN (not rated), never 0; an emotion absent from "annotations" of an
// ok record (a yes/no question without a yes/no token) is NaN as well. ZS records already
// hold all 40 keys (missing = 0 was applied by the evaluation, as the authors scored).
void read_vlm_record(const nlohmann::json& rec, const std::vector<std::string>& keys,
                     const std::string& path, long line_no, std::vector<double>& column,
                     std::size_t i, std::size_t I) {
  if (!rec.contains("status") || !rec["status"].is_string())
    throw Error("record has no 'status' string", {path, line_no, "status"});
  if (rec["status"] != "ok") return;
  if (!rec.contains("annotations") || !rec["annotations"].is_object())
    throw Error("record has no 'annotations' object", {path, line_no, "annotations"});
  const auto& ann = rec["annotations"];
  for (std::size_t e = 0; e < keys.size(); ++e) {
    if (!ann.contains(keys[e])) continue;
    const auto& v = ann[keys[e]];
    if (!v.is_number() || !std::isfinite(v.get<double>()))
      throw Error("annotation is not a finite number", {path, line_no, "annotations." + keys[e]});
    column[e * I + i] = v.get<double>();
  }
}
}  // namespace

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
  std::size_t matched = 0;
  for_each_jsonl_record(text, p.path, [&](json& rec, long line_no) {
    if (!rec.is_object() || !rec.contains("image_path") || !rec["image_path"].is_string())
      throw Error("record has no 'image_path' string", {p.path, line_no, "image_path"});
    // An `emonet eval vlm` record carries "annotations" ("Group|Emotion" -> 0-7) instead.
    const bool vlm = rec.contains("annotations") || rec.contains("status");
    if (!vlm && (!rec.contains("results") || !rec["results"].is_object()))
      throw Error("record has no 'results' object", {p.path, line_no, "results"});
    const std::string name = file_name_of(rec["image_path"].get<std::string>());
    auto it = image_of_name.find(name);
    if (it == image_of_name.end()) return;  // not an HQ image: not part of the benchmark
    const std::size_t i = it->second;
    if (seen[i])
      throw Error("image '" + name + "' predicted twice", {p.path, line_no, "image_path"});
    seen[i] = true;
    ++matched;
    if (vlm) {
      read_vlm_record(rec, data.emotion_keys, p.path, line_no, column, i, I);
      return;
    }
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
  });
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
