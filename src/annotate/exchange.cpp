// hq.csv / binary.csv / compare.csv / JSONL export and the authors' CSV import.
#include "annotate/exchange.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "annotate/projects.h"
#include "annotate/protocol.h"
#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/pydict.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::annotate {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

std::string hq_csv(const std::vector<Event>& answers) {
  std::ostringstream out;
  CsvWriter w(out);
  w.write_row({"image", "annotator", "human", "annotations"});
  for (const auto& e : answers) {
    const auto values = intensity_ratings(e.answer);
    PyDictEntries dict;
    for (const auto& c : emotions()) dict.emplace_back(std::string(c.hq_key), values[c.index]);
    w.write_row({e.image, e.user_name, "True", format_python_dict(dict)});
  }
  return out.str();
}

std::string binary_csv(std::vector<Event> answers) {
  std::stable_sort(answers.begin(), answers.end(), [](const Event& a, const Event& b) {
    return a.image != b.image ? a.image < b.image : a.user_name < b.user_name;
  });
  std::ostringstream out;
  CsvWriter w(out);
  w.write_row({"path", "annotator", "value", "emotion"});
  for (const auto& e : answers) {
    const json j = json::parse(e.answer, nullptr, false);
    const bool value = j.is_object() && j.value("value", false);
    w.write_row({e.image, e.user_name, value ? "True" : "False", e.emotion});
  }
  return out.str();
}

std::string compare_csv(const std::vector<Event>& answers) {
  std::ostringstream out;
  CsvWriter w(out);
  w.write_row({"image", "annotator", "pick", "source", "response_ms"});
  for (const auto& e : answers) {
    const json j = json::parse(e.answer, nullptr, false);
    w.write_row({e.image, e.user_name, j.is_object() ? j.value("pick", "") : "",
                 j.is_object() ? j.value("source", "") : "",
                 e.response_ms ? std::to_string(*e.response_ms) : ""});
  }
  return out.str();
}

std::string jsonl(const std::vector<Event>& events, bool with_kind) {
  std::string out;
  for (const auto& e : events) {
    ojson j;
    j["event_id"] = e.id;
    j["item_id"] = e.item_id;
    j["image"] = e.image;
    if (!e.emotion.empty()) j["emotion"] = e.emotion;
    j["annotator"] = e.user_name;
    j["answer"] = ojson::parse(e.answer, nullptr, false);
    j["response_ms"] = e.response_ms ? ojson(*e.response_ms) : ojson(nullptr);
    j["created_ms"] = e.created_ms;
    if (with_kind) j["kind"] = e.kind;
    out += j.dump() + "\n";
  }
  return out;
}

bool parse_bool(const std::string& s, const std::string& file, long line) {
  if (s == "True" || s == "true" || s == "1") return true;
  if (s == "False" || s == "false" || s == "0") return false;
  throw Error("value must be True or False, got '" + s + "'", {file, line, "value"});
}

}  // namespace

std::string export_project(Store& store, const Project& project, const std::string& format) {
  if (format == "jsonl") return jsonl(store.latest_answers(project.id), false);
  if (format == "events.jsonl") return jsonl(store.events(project.id), true);
  const char* wanted = project.protocol == Protocol::intensity ? "hq.csv"
                       : project.protocol == Protocol::binary  ? "binary.csv"
                                                               : "compare.csv";
  if (format != wanted && format != "csv") {
    throw Error("format '" + format + "' does not fit a " +
                    std::string(protocol_name(project.protocol)) + " project (use " + wanted +
                    ", jsonl or events.jsonl)",
                {"", 0, "format"});
  }
  auto answers = store.latest_answers(project.id);
  if (project.protocol == Protocol::intensity) return hq_csv(answers);
  if (project.protocol == Protocol::binary) return binary_csv(std::move(answers));
  return compare_csv(answers);
}

ImportSummary import_authors_csv(Store& store, const std::string& name, const std::string& csv_path,
                                 const std::string& images_dir, const std::string& guide,
                                 std::int64_t now_ms) {
  CsvReader reader = CsvReader::open(csv_path);
  const auto header = reader.read_header();
  const bool is_binary = reader.find_column("value") && reader.find_column("emotion");
  const bool is_hq = reader.find_column("annotations").has_value();
  if (!is_binary && !is_hq) {
    throw Error(
        "not a binary.csv (path, annotator, value, emotion) or hq.csv (image, "
        "annotator, human, annotations) file",
        {csv_path, 1, ""});
  }
  ProjectSpec spec;
  spec.name = name;
  spec.protocol = is_binary ? Protocol::binary : Protocol::intensity;
  spec.overlap = is_binary ? 1 : 4;
  if (!images_dir.empty()) {
    spec.images_dir =
        std::filesystem::weakly_canonical(std::filesystem::absolute(images_dir)).string();
  }
  if (!guide.empty()) {
    load_guide(guide);  // validates; throws naming the file
    spec.guide_json = read_file(guide);
  }

  std::vector<NewItem> items;
  std::map<std::pair<std::string, std::string>, std::size_t> item_index;
  struct PendingAnswer {
    std::size_t item;
    std::string annotator;
    std::string answer;
  };
  std::vector<PendingAnswer> rows;
  ImportSummary summary;
  CsvRecord rec;
  if (is_binary) {
    const auto c_path = reader.column("path"), c_ann = reader.column("annotator"),
               c_val = reader.column("value"), c_emo = reader.column("emotion");
    while (reader.next(rec)) {
      const std::string& path = rec[c_path];
      if (!safe_relative_path(path)) throw Error("unsafe image path", {csv_path, rec.line, "path"});
      const std::string& emotion = rec[c_emo];
      try {
        if (lookup(emotion).is_extra()) throw Error("not one of the 40 emotions");
      } catch (const Error& e) {
        throw Error(e.message(), {csv_path, rec.line, "emotion"});
      }
      if (rec[c_ann].empty()) throw Error("empty annotator", {csv_path, rec.line, "annotator"});
      auto key = std::make_pair(path, emotion);
      auto it = item_index.find(key);
      if (it == item_index.end()) {
        NewItem n;
        n.image = path;
        n.emotion = emotion;  // kept as written ("Hopelessness") so exports round-trip
        n.role = "target";
        n.metadata = "{}";
        n.profiles = "{}";
        n.target_votes = 3;
        n.max_parallel = 1;
        it = item_index.emplace(key, items.size()).first;
        items.push_back(std::move(n));
      }
      const bool value = parse_bool(rec[c_val], csv_path, rec.line);
      rows.push_back({it->second, rec[c_ann], ojson{{"value", value}}.dump()});
    }
  } else {
    const auto c_img = reader.column("image"), c_ann = reader.column("annotator"),
               c_ann_dict = reader.column("annotations");
    const auto c_human = reader.find_column("human");
    while (reader.next(rec)) {
      if (c_human && rec[*c_human] != "True") {
        ++summary.skipped;
        continue;
      }
      const std::string& image = rec[c_img];
      if (!safe_relative_path(image))
        throw Error("unsafe image path", {csv_path, rec.line, "image"});
      PyDictEntries dict;
      try {
        dict = parse_python_dict(rec[c_ann_dict]);
      } catch (const Error& e) {
        throw Error(e.message(), {csv_path, rec.line, "annotations"});
      }
      ojson ratings = ojson::object();
      std::vector<int> values(kNumEmotions, 0);
      for (const auto& [key, value] : dict) {
        const Category* c = find_category(key);
        if (!c)
          throw Error("unknown emotion key '" + key + "'", {csv_path, rec.line, "annotations"});
        if (c->is_extra()) continue;
        if (value != static_cast<int>(value) || value < 0 || value > kMaxIntensity) {
          throw Error("rating of '" + key + "' must be an integer 0..7",
                      {csv_path, rec.line, "annotations"});
        }
        values[c->index] = static_cast<int>(value);
      }
      for (const auto& c : emotions()) ratings[std::string(c.hq_key)] = values[c.index];
      const bool none = std::all_of(values.begin(), values.end(), [](int v) { return v == 0; });
      auto key = std::make_pair(image, std::string());
      auto it = item_index.find(key);
      if (it == item_index.end()) {
        NewItem n;
        n.image = image;
        n.metadata = "{}";
        n.profiles = "{}";
        n.target_votes = spec.overlap;
        n.max_parallel = spec.overlap;
        it = item_index.emplace(key, items.size()).first;
        items.push_back(std::move(n));
      }
      rows.push_back(
          {it->second, rec[c_ann], ojson{{"ratings", ratings}, {"no_emotion", none}}.dump()});
    }
  }
  if (items.empty()) throw Error("no answers to import", {csv_path, 0, ""});
  const Project project = store.create_project(spec, items, now_ms);
  // Item ids in creation order.
  std::vector<std::int64_t> ids;
  for (const auto& it : store.items(project.id, 0, static_cast<std::int64_t>(items.size()))) {
    ids.push_back(it.id);
  }
  std::vector<Store::ImportedAnswer> answers;
  answers.reserve(rows.size());
  for (auto& r : rows) answers.push_back({ids.at(r.item), r.annotator, std::move(r.answer)});
  store.import_answers(project.id, answers, now_ms);
  summary.project_id = project.id;
  summary.items = static_cast<std::int64_t>(items.size());
  summary.answers = static_cast<std::int64_t>(answers.size());
  return summary;
}

}  // namespace emonet::annotate
