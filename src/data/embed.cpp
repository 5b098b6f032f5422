// `emonet embed`: the resumable, sharded embeddings cache (see emonet/embed.h).
#include "emonet/embed.h"

#include <sodium.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/npy.h"
#include "emonet/progress.h"
#include "model/scores.h"

namespace emonet::data {

namespace fs = std::filesystem;

std::string sha256_hex(const std::uint8_t* data, std::size_t size) {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw Error("libsodium failed to initialise", {});
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, data, size);
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

std::string embeddings_index_path(const std::string& npy_path) {
  fs::path p(npy_path);
  p.replace_extension(".index.jsonl");
  return p.string();
}

EmbeddingShard read_embeddings(const std::string& npy_path) {
  const std::string index = embeddings_index_path(npy_path);
  const std::string npy_bytes = read_file(npy_path);
  const auto arr = decode_npy(npy_bytes, npy_path);
  std::istringstream in(read_file(index));
  std::string line;
  long n = 0;
  EmbeddingShard s;
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
      if (n == 1) {
        if (j.at("format").get<std::string>() != "emonet-embeddings-1")
          throw Error("not an emonet-embeddings-1 index", {index, n, "format"});
        rows = j.at("rows").get<std::size_t>();
        s.hidden = j.at("hidden").get<std::size_t>();
        s.model = j.at("model").get<std::string>();
        const std::uint8_t* b = reinterpret_cast<const std::uint8_t*>(npy_bytes.data());
        if (j.at("npy_sha256").get<std::string>() != sha256_hex(b, npy_bytes.size()))
          throw Error("index does not match the .npy (hash differs; interrupted write?)",
                      {index, n, "npy_sha256"});
      } else {
        s.ids.push_back(j.at("id").get<std::string>());
        s.hashes.push_back(j.at("sha256").get<std::string>());
      }
    } catch (const nlohmann::json::exception& e) {
      throw Error(std::string("malformed index line: ") + e.what(), {index, n, ""});
    }
  }
  if (n == 0) throw Error("empty index", {index, 0, ""});
  if (s.ids.size() != rows)
    throw Error("index lists a different number of rows", {index, 0, "rows"});
  const bool shape_ok = (rows == 0 && arr.data.empty()) ||
                        (arr.shape.size() == 2 && arr.shape[0] == rows && arr.shape[1] == s.hidden);
  if (!shape_ok) throw Error("array shape does not match the index", {npy_path, 0, ""});
  s.data = arr.data;
  return s;
}

void write_embeddings(const std::string& npy_path, const EmbeddingShard& s) {
  const std::string bytes = encode_npy(s.data.data(), {s.ids.size(), s.hidden});
  std::ostringstream idx;
  nlohmann::ordered_json head;
  head["format"] = "emonet-embeddings-1";
  head["rows"] = s.ids.size();
  head["hidden"] = s.hidden;
  head["model"] = s.model;
  head["npy_sha256"] =
      sha256_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  idx << head.dump() << '\n';
  for (std::size_t i = 0; i < s.ids.size(); ++i) {
    nlohmann::ordered_json r;
    r["id"] = s.ids[i];
    r["sha256"] = s.hashes[i];
    idx << r.dump() << '\n';
  }
  write_file_atomic(npy_path, bytes);
  write_file_atomic(embeddings_index_path(npy_path), idx.str());
}

EmbedSummary embed_images(const model::Model& model, const std::vector<ImageItem>& all,
                          const Shard& shard, const std::string& out_dir, const EmbedOptions& o,
                          std::ostream& err) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw Error("cannot create folder: " + ec.message(), {out_dir, 0, ""});
  EmbedSummary summary;
  summary.npy = (fs::path(out_dir) / shard_file_name("embeddings", shard, ".npy")).string();
  summary.index = embeddings_index_path(summary.npy);
  const auto items = select_shard(all, shard);
  summary.images = items.size();
  const auto hidden = std::size_t(model.info().hidden);

  // What the previous run left: id -> (hash, row).
  std::map<std::string, std::pair<std::string, std::size_t>> cached;
  EmbeddingShard old;
  if (fs::exists(summary.npy, ec) && fs::exists(summary.index, ec)) {
    try {
      old = read_embeddings(summary.npy);
      if (old.hidden != hidden || old.model != model.info().dir) {
        err << "emonet: " << summary.npy << ": made with another model; embedding again\n";
      } else {
        for (std::size_t i = 0; i < old.ids.size(); ++i) cached[old.ids[i]] = {old.hashes[i], i};
      }
    } catch (const Error& e) {
      err << "emonet: warning: ignoring the existing cache: " << e.what() << '\n';
    }
  }

  EmbeddingShard out;
  out.hidden = hidden;
  out.model = model.info().dir;
  struct Pending {
    std::size_t slot;
    Image image;
  };
  std::vector<Pending> pending;
  std::vector<std::vector<float>> rows;  // per stored item, in listing order
  std::vector<bool> ok;
  ImageReader reader;
  Progress progress("embed", items.size());
  auto flush = [&] {
    if (pending.empty()) return;
    std::vector<Image> batch;
    for (auto& p : pending) batch.push_back(std::move(p.image));
    const auto preds = model.predict(batch, true);
    for (std::size_t i = 0; i < pending.size(); ++i) {
      auto& row = rows[pending[i].slot];
      row.resize(hidden);
      model::l2_normalise(preds[i].embedding.data(), hidden, row.data());
      ++summary.embedded;
    }
    pending.clear();
  };
  for (const auto& it : items) {
    bool registered = false;
    try {
      const auto bytes = reader.read(it);
      const std::string hash = sha256_hex(bytes.data(), bytes.size());
      const std::size_t slot = rows.size();
      out.ids.push_back(it.id);
      out.hashes.push_back(hash);
      rows.emplace_back();
      registered = true;
      const auto c = cached.find(it.id);
      if (c != cached.end() && c->second.first == hash) {
        const float* src = old.data.data() + c->second.second * hidden;
        rows[slot].assign(src, src + hidden);
        ++summary.reused;
      } else {
        pending.push_back(
            Pending{slot, decode_image_memory(bytes, it.display, DecodeOptions{o.exif_rotate})});
      }
    } catch (const Error& e) {
      if (registered) {  // read and hashed, then decoding failed: not stored
        out.ids.pop_back();
        out.hashes.pop_back();
        rows.pop_back();
      }
      ++summary.failed;
      err << "emonet: error: " << e.with_file(it.display).what() << '\n';
    }
    if (pending.size() >= std::max<std::size_t>(1, o.batch)) flush();
    if (o.progress) progress.tick();
  }
  flush();
  progress.finish();
  out.data.reserve(rows.size() * hidden);
  for (const auto& r : rows) out.data.insert(out.data.end(), r.begin(), r.end());
  write_embeddings(summary.npy, out);
  return summary;
}

}  // namespace emonet::data
