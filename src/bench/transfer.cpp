#include "emonet/bench_transfer.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/file_text.h"
#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/jsonl.h"
#include "emonet/stats/descriptive.h"
#include "emonet/strings.h"
#include "emonet/taxonomy.h"

namespace emonet::bench {
namespace {

using json = nlohmann::json;

bool is_head_map(const json& j) {
  if (!j.is_object() || j.empty()) return false;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string() && !v.is_null()) return false;
  }
  return true;
}

std::string label_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number_unsigned()) return std::to_string(v.get<unsigned long long>());
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d)) return std::to_string(static_cast<long long>(d));
    return v.dump();
  }
  return v.dump();
}

std::string capitalize(const std::string& s) {
  std::string out = to_lower(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace

std::size_t TransferMapping::mapped() const {
  std::size_t n = 0;
  for (const auto& [k, v] : heads) n += (v && !v->empty()) ? 1 : 0;
  return n;
}

TransferMapping load_transfer_mapping(const std::string& spec) {
  std::string path = spec, name;
  // "FILE:NAME" unless the whole text names an existing file (paths may contain ':').
  const auto colon = spec.rfind(':');
  if (colon != std::string::npos && colon > 0 && !std::filesystem::exists(spec)) {
    path = spec.substr(0, colon);
    name = spec.substr(colon + 1);
  }
  json root;
  try {
    root = json::parse(read_file(path));
  } catch (const json::parse_error& e) {
    throw Error(std::string("invalid JSON: ") + e.what(), {path, 0, ""});
  }
  if (!root.is_object()) throw Error("a mapping file must hold a JSON object", {path, 0, ""});

  TransferMapping m;
  m.name = name;
  const json* table = nullptr;
  if (name.empty()) {
    if (is_head_map(root)) {
      table = &root;
    } else {
      std::vector<std::string> names;
      for (const auto& [k, v] : root.items())
        if (is_head_map(v) && !ends_with(k, "_label_index")) names.push_back(k);
      if (names.size() != 1)
        throw Error(
            "the file holds several mappings; pick one with FILE:NAME (" + join(names, ", ") + ")",
            {path, 0, ""});
      m.name = names.front();
      table = &root[m.name];
    }
  } else {
    if (!root.contains(name) || !is_head_map(root[name])) {
      std::vector<std::string> names;
      for (const auto& [k, v] : root.items())
        if (is_head_map(v) && !ends_with(k, "_label_index")) names.push_back(k);
      throw Error("no mapping named '" + name + "'; available: " + join(names, ", "),
                  {path, 0, name});
    }
    table = &root[name];
  }
  m.source = path + (m.name.empty() ? "" : ":" + m.name);
  for (const auto& [head, cls] : table->items()) {
    const Category* c = find_category(head);
    if (!c || c->head_key != head) {
      std::string hint;
      try {
        lookup(head);
      } catch (const Error& e) {
        hint = "; " + e.message();
      }
      throw Error("unknown model head '" + head + "' (expected keys like model_anger_best)" + hint,
                  {path, 0, m.name.empty() ? head : m.name + "." + head});
    }
    if (cls.is_null()) {
      m.heads[head] = std::nullopt;
    } else {
      m.heads[head] = to_lower(cls.get<std::string>());
    }
  }
  if (!m.name.empty()) {
    const std::string key = m.name + "_label_index";
    if (root.contains(key)) {
      const json& idx = root[key];
      if (!idx.is_object()) throw Error("must be an object of label -> class", {path, 0, key});
      for (const auto& [label, cls] : idx.items()) {
        if (!cls.is_string()) throw Error("class must be a string", {path, 0, key + "." + label});
        m.label_index[label] = to_lower(cls.get<std::string>());
      }
    }
  }
  if (m.mapped() == 0) throw Error("the mapping maps no head to a class", {path, 0, m.name});
  return m;
}

std::string class_from_file_name(const std::string& image_path) {
  // x.split("_")[-1].split(".")[0].lower().replace("surprised", "surprise")
  std::string tail = image_path;
  if (auto p = tail.rfind('_'); p != std::string::npos) tail = tail.substr(p + 1);
  if (auto p = tail.find('.'); p != std::string::npos) tail = tail.substr(0, p);
  tail = to_lower(tail);
  std::string out;
  const std::string from = "surprised";
  std::size_t pos = 0;
  while (true) {
    const auto hit = tail.find(from, pos);
    if (hit == std::string::npos) {
      out += tail.substr(pos);
      break;
    }
    out += tail.substr(pos, hit - pos) + "surprise";
    pos = hit + from.size();
  }
  return out;
}

TransferReport evaluate_transfer(const std::string& jsonl_path, const TransferMapping& mapping,
                                 const std::string& label_field) {
  TransferReport r;
  r.source = jsonl_path;
  r.mapping = mapping.source;
  r.mapped = mapping.mapped();
  r.total = mapping.heads.size();
  r.cutoff = 1.5 / static_cast<double>(r.mapped);
  std::map<std::string, TransferClassResult> classes;

  const std::string text = read_text(jsonl_path);
  std::vector<double> scores;
  std::vector<const std::string*> cls_of;
  for_each_jsonl_record(text, jsonl_path, [&](json& rec, long line_no) {
    if (!rec.is_object() || !rec.contains("results") || !rec["results"].is_object())
      throw Error("record has no 'results' object", {jsonl_path, line_no, "results"});

    std::optional<std::string> gt;
    if (label_field.empty()) {
      if (!rec.contains("image_path") || !rec["image_path"].is_string())
        throw Error("record has no 'image_path' string", {jsonl_path, line_no, "image_path"});
      gt = class_from_file_name(rec["image_path"].get<std::string>());
    } else {
      if (!rec.contains(label_field))
        throw Error("record has no label field", {jsonl_path, line_no, label_field});
      const json& v = rec[label_field];
      if (!v.is_null()) {
        const std::string t = label_text(v);
        if (mapping.label_index.empty()) {
          gt = to_lower(t);
        } else if (auto it = mapping.label_index.find(t); it != mapping.label_index.end()) {
          gt = it->second;
        }
      }
    }

    scores.clear();
    cls_of.clear();
    for (const auto& [head, value] : rec["results"].items()) {
      auto it = mapping.heads.find(head);
      if (it == mapping.heads.end() || !it->second || it->second->empty()) continue;
      if (!value.is_object() || !value.contains("mean_subtracted") ||
          !value["mean_subtracted"].is_number())
        throw Error("head has no numeric 'mean_subtracted'",
                    {jsonl_path, line_no, "results." + head});
      const double s = value["mean_subtracted"].get<double>();
      if (!std::isfinite(s))
        throw Error("score is not finite", {jsonl_path, line_no, "results." + head});
      scores.push_back(std::exp(s));
      cls_of.push_back(&*it->second);
    }
    bool correct = false;
    if (gt && !scores.empty()) {
      const double total = stats::numpy_sum(scores);
      for (std::size_t k = 0; k < scores.size(); ++k) {
        if (*cls_of[k] == *gt && scores[k] / total > r.cutoff) {
          correct = true;
          break;
        }
      }
    }
    ++r.images;
    r.correct += correct ? 1 : 0;
    if (gt) {
      auto& c = classes[*gt];
      c.cls = *gt;
      c.images += 1;
      c.correct += correct ? 1 : 0;
    } else {
      ++r.without_ground_truth;
    }
  });
  if (r.images == 0) throw Error("no records", {jsonl_path, 0, ""});
  for (auto& [k, c] : classes) r.classes.push_back(c);
  return r;
}

std::string transfer_markdown(const TransferReport& r) {
  std::ostringstream out;
  out << "| | Acc. |\n|---|---|\n";
  out << "| n | " << r.images << " |\n";
  out << "| Mapped / Total | " << r.mapped << " / " << r.total << " |\n";
  for (const auto& c : r.classes)
    out << fmt::format("| {} | {:.4f} |\n", capitalize(c.cls), c.accuracy());
  out << fmt::format("| **Mean Acc.** | **{:.4f}** |\n", r.accuracy());
  out << fmt::format("\n{}/{} correct (cutoff 1.5/{} = {:.4f}; mapping {})", r.correct, r.images,
                     r.mapped, r.cutoff, r.mapping);
  if (r.without_ground_truth)
    out << fmt::format("; {} images without ground truth counted as incorrect",
                       r.without_ground_truth);
  out << ".\n";
  return out.str();
}

std::string transfer_json(const TransferReport& r) {
  nlohmann::ordered_json j;
  j["source"] = r.source;
  j["mapping"] = r.mapping;
  j["images"] = r.images;
  j["correct"] = r.correct;
  j["accuracy"] = r.accuracy();
  j["mapped"] = r.mapped;
  j["total"] = r.total;
  j["cutoff"] = r.cutoff;
  j["without_ground_truth"] = r.without_ground_truth;
  auto& cl = j["classes"] = nlohmann::ordered_json::array();
  for (const auto& c : r.classes)
    cl.push_back({{"class", c.cls},
                  {"images", c.images},
                  {"correct", c.correct},
                  {"accuracy", c.accuracy()}});
  return j.dump(2) + "\n";
}

std::string transfer_csv(const TransferReport& r) {
  std::ostringstream out;
  CsvWriter w(out);
  w.write_row({"class", "images", "correct", "accuracy"});
  for (const auto& c : r.classes)
    w.write_row({c.cls, std::to_string(c.images), std::to_string(c.correct),
                 fmt::format("{:.4f}", c.accuracy())});
  w.write_row({"overall", std::to_string(r.images), std::to_string(r.correct),
               fmt::format("{:.4f}", r.accuracy())});
  return out.str();
}

}  // namespace emonet::bench
