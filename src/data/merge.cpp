// Joining shard outputs (see emonet/merge.h).
#include "emonet/merge.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "emonet/embed.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/image_source.h"

namespace emonet::data {

namespace fs = std::filesystem;

namespace {

struct Found {
  ShardFileName name;
  std::string path;
};

// Every shard file among the inputs; an index file belongs to its .npy and is skipped.
std::vector<Found> find_shards(const std::vector<std::string>& inputs) {
  std::vector<Found> found;
  auto consider = [&](const fs::path& p, bool explicit_file) {
    const std::string base = p.filename().string();
    if (base.size() > 12 && base.ends_with(".index.jsonl")) return;
    auto n = parse_shard_file_name(base);
    if (!n) {
      if (explicit_file)
        throw Error("not a shard file name (<stem>-IIIII-of-NNNNN.ext)", {p.string(), 0, ""});
      return;
    }
    found.push_back(Found{*n, p.string()});
  };
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      for (const auto& e : fs::directory_iterator(in, ec))
        if (e.is_regular_file()) consider(e.path(), false);
      if (ec) throw Error("cannot list directory: " + ec.message(), {in, 0, ""});
    } else if (fs::exists(in, ec)) {
      consider(in, true);
    } else {
      throw Error("no such file or directory", {in, 0, ""});
    }
  }
  if (found.empty())
    throw Error("no shard files (<stem>-IIIII-of-NNNNN.ext) found in the inputs", {});
  return found;
}

// Checks one stem/ext/N and completeness; returns the files by shard index.
std::vector<std::string> check_set(std::vector<Found> found) {
  const auto& first = found.front().name;
  for (const auto& f : found)
    if (f.name.stem != first.stem || f.name.ext != first.ext ||
        f.name.shard.count != first.shard.count)
      throw Error("shard files of different sets: " + found.front().path + " and " + f.path +
                      " (stem, extension and shard count must agree)",
                  {});
  const std::size_t n = first.shard.count;
  std::vector<std::string> by_index(n);
  for (const auto& f : found) {
    auto& slot = by_index[f.name.shard.index];
    if (!slot.empty() && fs::path(slot) != fs::path(f.path))
      throw Error("shard " + std::to_string(f.name.shard.index) + " given twice: " + slot +
                      " and " + f.path,
                  {});
    slot = f.path;
  }
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < n; ++i)
    if (by_index[i].empty()) missing.push_back(shard_file_name(first.stem, {i, n}, first.ext));
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw Error(
        std::to_string(missing.size()) + " of " + std::to_string(n) + " shards missing: " + list,
        {});
  }
  return by_index;
}

MergeSummary merge_predictions(const std::vector<std::string>& files, const std::string& out) {
  struct Record {
    std::string image;
    long face;
    std::string line;
  };
  std::vector<Record> records;
  std::map<std::pair<std::string, long>, std::string> seen;  // -> file
  for (const auto& f : files) {
    std::istringstream in(read_file(f));
    std::string line;
    long n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("malformed JSON record: ") + e.what(), {f, n, ""});
      }
      if (!j.is_object() || !j.contains("image_path") || !j["image_path"].is_string())
        throw Error("record without image_path", {f, n, "image_path"});
      const std::string image = j["image_path"].get<std::string>();
      const long face =
          j.contains("face") && j["face"].is_number_integer() ? j["face"].get<long>() : -1;
      auto [it, fresh] = seen.emplace(std::make_pair(image, face), f);
      if (!fresh)
        throw Error("image '" + image + "'" + (face >= 0 ? " face " + std::to_string(face) : "") +
                        " appears twice: in " + it->second + " and " + f + " (overlapping shards)",
                    {f, n, "image_path"});
      records.push_back(Record{image, face, line});
    }
  }
  std::stable_sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
    return a.image != b.image ? a.image < b.image : a.face < b.face;
  });
  AtomicFile file(out);
  for (const auto& r : records) file.stream() << r.line << '\n';
  file.commit();
  return MergeSummary{"predictions", files.size(), records.size(), out};
}

MergeSummary merge_embeddings(const std::vector<std::string>& files, const std::string& out_dir) {
  std::vector<EmbeddingShard> shards;
  std::map<std::string, std::string> seen;
  std::vector<std::tuple<std::string, std::size_t, std::size_t>> order;  // id, shard, row
  for (std::size_t s = 0; s < files.size(); ++s) {
    shards.push_back(read_embeddings(files[s]));
    const auto& sh = shards.back();
    if (sh.hidden != shards.front().hidden || sh.model != shards.front().model)
      throw Error("shards made with different models: " + files.front() + " and " + files[s], {});
    for (std::size_t r = 0; r < sh.ids.size(); ++r) {
      auto [it, fresh] = seen.emplace(sh.ids[r], files[s]);
      if (!fresh)
        throw Error("image '" + sh.ids[r] + "' appears twice: in " + it->second + " and " +
                        files[s] + " (overlapping shards)",
                    {});
      order.emplace_back(sh.ids[r], s, r);
    }
  }
  std::sort(order.begin(), order.end());
  EmbeddingShard merged;
  merged.hidden = shards.front().hidden;
  merged.model = shards.front().model;
  for (const auto& [id, s, r] : order) {
    merged.ids.push_back(id);
    merged.hashes.push_back(shards[s].hashes[r]);
    const float* src = shards[s].data.data() + r * merged.hidden;
    merged.data.insert(merged.data.end(), src, src + merged.hidden);
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw Error("cannot create folder: " + ec.message(), {out_dir, 0, ""});
  const std::string npy =
      (fs::path(out_dir) / shard_file_name("embeddings", {0, 1}, ".npy")).string();
  if (std::find_if(files.begin(), files.end(),
                   [&](const std::string& f) { return fs::equivalent(f, npy, ec); }) != files.end())
    throw Error("the output would overwrite an input shard; choose another --out", {npy, 0, ""});
  write_embeddings(npy, merged);
  return MergeSummary{"embeddings", files.size(), merged.ids.size(), npy};
}

}  // namespace

MergeSummary merge_shards(const std::vector<std::string>& inputs, const std::string& out) {
  auto found = find_shards(inputs);
  const std::string ext = found.front().name.ext;
  const auto files = check_set(std::move(found));
  if (ext == ".jsonl") return merge_predictions(files, out);
  if (ext == ".npy") return merge_embeddings(files, out);
  throw Error("cannot merge '" + ext + "' shards (predictions .jsonl or embeddings .npy)",
              {files.front(), 0, ""});
}

}  // namespace emonet::data
