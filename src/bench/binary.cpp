#include "emonet/bench_binary.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "bench/file_text.h"
#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/taxonomy.h"

namespace emonet::bench {
namespace {

bool parse_vote(const std::string& text, const CsvReader& reader, long line) {
  // pandas reads the authors' file with True/False; accept their other spellings too.
  if (text == "True" || text == "true" || text == "TRUE") return true;
  if (text == "False" || text == "false" || text == "FALSE") return false;
  throw Error("value must be True or False, got '" + text + "'", {reader.source(), line, "value"});
}

struct Votes {
  int n = 0;
  int yes = 0;
};

}  // namespace

std::string BinaryOutcome::label() const {
  const std::string head = fmt::format("{} vote{}, ", votes, votes == 1 ? "" : "s");
  if (votes == 1) return head + (yes ? "Yes" : "No");
  if (votes == 2 && yes == 1) return head + "1\u20131";
  if (yes == votes) return head + fmt::format("{} Yes", yes);
  if (yes == 0) return head + fmt::format("{} No", votes);
  return head + fmt::format("{} Yes {} No", yes, votes - yes);
}

BinaryReport analyze_binary(const std::string& path) {
  CsvReader reader(read_text(path), path);
  reader.read_header();
  const std::size_t c_path = reader.column("path");
  reader.column("annotator");  // required by the format even though votes are anonymous
  const std::size_t c_value = reader.column("value");
  const std::size_t c_emotion = reader.column("emotion");

  BinaryReport report;
  report.source = path;
  // Spelling of each category as first seen in the file, for display.
  std::map<std::size_t, std::string> spelling;
  std::unordered_map<std::string, Votes> pairs;
  std::unordered_set<std::string> images;
  // Pair keys keep file order of first appearance so the result never depends on hashing.
  std::vector<std::pair<std::string, std::size_t>> order;

  CsvRecord rec;
  while (reader.next(rec)) {
    const std::string& emotion_name = rec[c_emotion];
    const Category* cat = find_category(emotion_name);
    if (!cat || cat->is_extra()) {
      try {
        lookup(emotion_name);
      } catch (const Error& e) {
        throw Error(e.message(), {path, rec.line, "emotion"});
      }
      throw Error("'" + emotion_name + "' is not one of the 40 emotions",
                  {path, rec.line, "emotion"});
    }
    if (rec[c_path].empty()) throw Error("empty image path", {path, rec.line, "path"});
    const bool yes = parse_vote(rec[c_value], reader, rec.line);
    spelling.emplace(cat->index, emotion_name);
    images.insert(rec[c_path]);
    std::string key = rec[c_path];
    key.push_back('\0');
    key += std::to_string(cat->index);
    auto [it, inserted] = pairs.try_emplace(key);
    if (inserted) order.emplace_back(key, cat->index);
    it->second.n += 1;
    it->second.yes += yes ? 1 : 0;
    ++report.rows;
  }
  if (report.rows == 0) throw Error("no votes in file", {path, 0, ""});
  report.images = static_cast<long>(images.size());
  report.pairs = static_cast<long>(pairs.size());

  std::map<std::size_t, BinaryEmotionRow> rows;
  std::map<std::pair<int, int>, long> outcomes;
  for (const auto& [key, index] : order) {
    const Votes& v = pairs.at(key);
    outcomes[{v.n, v.yes}] += 1;
    if (v.n <= 1) continue;
    BinaryEmotionRow& row = rows[index];
    row.pairs += 1;
    if (v.n == 2) {
      row.two_votes += 1;
      (v.yes == 0 || v.yes == 2 ? row.agree : row.disagree) += 1;
    } else if (v.n == 3) {
      row.three_votes += 1;
      if (v.yes == 0 || v.yes == 3) {
        row.agree += 1;
      } else {
        row.partial += 1;
      }
    } else {
      row.other += 1;
    }
    ++report.multi_vote_pairs;
  }
  for (auto& [index, row] : rows) {
    row.emotion = spelling.at(index);
    report.table.push_back(row);
  }
  // Exact rational comparison of agree/pairs so that sorting never depends on rounding.
  std::stable_sort(report.table.begin(), report.table.end(),
                   [](const BinaryEmotionRow& a, const BinaryEmotionRow& b) {
                     return a.agree * b.pairs > b.agree * a.pairs;
                   });
  for (const auto& [k, count] : outcomes) report.outcomes.push_back({k.first, k.second, count});
  return report;
}

namespace {

std::string percent(double share) {
  return fmt::format("{:.0f}%", share * 100.0);
}

}  // namespace

std::string binary_markdown(const BinaryReport& r) {
  std::ostringstream out;
  out << "## Binary agreement per emotion (pairs with more than one vote)\n\n";
  out << "| Emotion | n | 3:0 | 2:1 | 1\u20131 | 2 votes | 3 votes |\n";
  out << "|---|---|---|---|---|---|---|\n";
  for (const auto& row : r.table) {
    out << fmt::format("| {} | {} | {:.4f} | {:.4f} | {:.4f} | {} | {} |\n", row.emotion, row.pairs,
                       row.share(row.agree), row.share(row.partial), row.share(row.disagree),
                       percent(row.share(row.two_votes)), percent(row.share(row.three_votes)));
  }
  out << "\nTotal groups with more than 1 vote: " << r.multi_vote_pairs << "\n\n";
  out << "## Vote outcomes over all (image, emotion) pairs\n\n";
  out << "| Outcome | Pairs |\n|---|---|\n";
  for (const auto& o : r.outcomes) out << "| " << o.label() << " | " << o.pairs << " |\n";
  out << fmt::format("\n{} rows, {} images, {} (image, emotion) pairs.\n", r.rows, r.images,
                     r.pairs);
  return out.str();
}

std::string binary_json(const BinaryReport& r) {
  nlohmann::ordered_json j;
  j["source"] = r.source;
  j["rows"] = r.rows;
  j["images"] = r.images;
  j["pairs"] = r.pairs;
  j["multi_vote_pairs"] = r.multi_vote_pairs;
  auto& table = j["per_emotion"] = nlohmann::ordered_json::array();
  for (const auto& row : r.table) {
    nlohmann::ordered_json e;
    e["emotion"] = row.emotion;
    e["n"] = row.pairs;
    e["agree"] = row.agree;
    e["partial"] = row.partial;
    e["disagree"] = row.disagree;
    e["other"] = row.other;
    e["two_votes"] = row.two_votes;
    e["three_votes"] = row.three_votes;
    e["agree_share"] = row.share(row.agree);
    e["partial_share"] = row.share(row.partial);
    e["disagree_share"] = row.share(row.disagree);
    e["two_votes_share"] = row.share(row.two_votes);
    e["three_votes_share"] = row.share(row.three_votes);
    table.push_back(std::move(e));
  }
  auto& outcomes = j["outcomes"] = nlohmann::ordered_json::array();
  for (const auto& o : r.outcomes) {
    outcomes.push_back(
        {{"votes", o.votes}, {"yes", o.yes}, {"label", o.label()}, {"pairs", o.pairs}});
  }
  return j.dump(2) + "\n";
}

std::string binary_csv(const BinaryReport& r) {
  std::ostringstream out;
  CsvWriter w(out);
  w.write_row({"emotion", "n", "agree", "partial", "disagree", "other", "two_votes", "three_votes",
               "agree_share", "partial_share", "disagree_share"});
  for (const auto& row : r.table) {
    w.write_row({row.emotion, std::to_string(row.pairs), std::to_string(row.agree),
                 std::to_string(row.partial), std::to_string(row.disagree),
                 std::to_string(row.other), std::to_string(row.two_votes),
                 std::to_string(row.three_votes), fmt::format("{:.4f}", row.share(row.agree)),
                 fmt::format("{:.4f}", row.share(row.partial)),
                 fmt::format("{:.4f}", row.share(row.disagree))});
  }
  return out.str();
}

}  // namespace emonet::bench
