// `data audit` quality: unreadable images, face counts, exact and near duplicates.
//
// Images are read, hashed, decoded and (optionally) searched for faces by several
// threads, each over a contiguous slice of the listing with its own ImageReader (a tar is
// then read front to back once per slice) and its own FaceDetector (detect() serialises
// on a shared one). Near duplicates compare every pair of embedded images (O(n²·d)):
// embeddings are L2-normalised, so the dot product is the cosine similarity.
#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>
#include <unordered_map>

#include "emonet/data_audit.h"
#include "emonet/embed.h"
#include "emonet/error.h"
#include "emonet/image.h"
#include "emonet/progress.h"
#include "emonet/strings.h"

namespace emonet::data {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxNearPairs = 10000;

struct ImageCheck {
  std::string hash;
  std::string error;  // non-empty: unreadable
  int faces = -1;     // -1: not checked
};

void check_slice(const std::vector<AuditRow>& rows, std::size_t begin, std::size_t end,
                 const QualityOptions& o, std::vector<ImageCheck>& out, Progress* progress) {
  ImageReader reader;
  std::unique_ptr<FaceDetector> detector;
  if (o.faces) detector = std::make_unique<FaceDetector>(face_detector_options_for(o.face_model));
  for (std::size_t i = begin; i < end; ++i) {
    if (progress) progress->tick();
    auto& c = out[i];
    std::vector<std::uint8_t> bytes;
    try {
      bytes = reader.read(rows[i].item);
    } catch (const Error& e) {
      c.error = std::string("read: ") + e.what();
      continue;
    }
    c.hash = sha256_hex(bytes.data(), bytes.size());
    if (!o.decode && !o.faces) continue;
    Image img;
    try {
      img = decode_image_memory(bytes, rows[i].item.id);
    } catch (const Error& e) {
      c.error = std::string("decode: ") + e.what();
      continue;
    }
    if (detector) c.faces = int(detector->detect(img).size());
  }
}

// Every embeddings .npy of a path: the file itself, or embeddings-*.npy in a folder.
std::vector<std::string> embedding_files(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    const auto name = e.path().filename().string();
    if (starts_with(name, "embeddings") && ends_with(name, ".npy"))
      files.push_back(e.path().string());
  }
  if (ec) throw Error("cannot list directory: " + ec.message(), {path, 0, ""});
  if (files.empty()) throw Error("no embeddings*.npy in the folder", {path, 0, ""});
  std::sort(files.begin(), files.end());
  return files;
}

void near_duplicates(const std::vector<AuditRow>& rows, const std::vector<ImageCheck>& checks,
                     const QualityOptions& o, unsigned threads, QualityReport& q) {
  std::unordered_map<std::string, std::size_t> row_of;
  for (std::size_t i = 0; i < rows.size(); ++i) row_of.emplace(rows[i].item.id, i);
  std::vector<std::size_t> row_index;  // of each embedded vector
  std::vector<float> vectors;
  std::size_t hidden = 0;
  std::vector<bool> have(rows.size(), false);
  for (const auto& file : embedding_files(o.embeddings)) {
    const auto shard = read_embeddings(file);
    if (hidden == 0) hidden = shard.hidden;
    if (shard.hidden != hidden)
      throw Error("embedding size " + std::to_string(shard.hidden) + " differs from " +
                      std::to_string(hidden),
                  {file, 0, "hidden"});
    for (std::size_t r = 0; r < shard.ids.size(); ++r) {
      const auto it = row_of.find(shard.ids[r]);
      if (it == row_of.end() || have[it->second]) continue;
      have[it->second] = true;
      row_index.push_back(it->second);
      vectors.insert(vectors.end(), shard.data.begin() + r * hidden,
                     shard.data.begin() + (r + 1) * hidden);
    }
  }
  // Listing order, so pairs come out as (earlier, later).
  std::vector<std::size_t> order(row_index.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return row_index[a] < row_index[b]; });
  const std::size_t n = order.size();
  q.embedded = n;
  struct Pair {
    std::size_t a, b;
    double s;
  };
  std::vector<std::vector<Pair>> found(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::size_t x = t; x < n; x += threads) {
        const float* va = vectors.data() + order[x] * hidden;
        for (std::size_t y = x + 1; y < n; ++y) {
          const float* vb = vectors.data() + order[y] * hidden;
          double dot = 0;
          for (std::size_t d = 0; d < hidden; ++d) dot += double(va[d]) * double(vb[d]);
          if (dot < o.near_dup_threshold) continue;
          const auto ra = row_index[order[x]], rb = row_index[order[y]];
          if (!checks[ra].hash.empty() && checks[ra].hash == checks[rb].hash) continue;
          found[t].push_back({ra, rb, dot});
        }
      }
    });
  for (auto& th : pool) th.join();
  std::vector<Pair> all;
  for (auto& f : found) all.insert(all.end(), f.begin(), f.end());
  std::sort(all.begin(), all.end(), [](const Pair& x, const Pair& y) {
    if (x.s != y.s) return x.s > y.s;
    return x.a != y.a ? x.a < y.a : x.b < y.b;
  });
  q.near_pairs_total = all.size();
  if (all.size() > kMaxNearPairs) all.resize(kMaxNearPairs);
  for (const auto& p : all) q.near_pairs.push_back({rows[p.a].item.id, rows[p.b].item.id, p.s});
}

}  // namespace

QualityReport audit_quality(const std::vector<AuditRow>& rows, const QualityOptions& o) {
  QualityReport q;
  q.images = rows.size();
  q.threshold = o.near_dup_threshold;
  q.faces_checked = o.faces;
  unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = unsigned(std::max<std::size_t>(1, std::min<std::size_t>(threads, rows.size())));
  std::vector<ImageCheck> checks(rows.size());
  if (o.faces) FaceDetector probe(face_detector_options_for(o.face_model));  // fail early
  {
    std::unique_ptr<Progress> progress;
    if (o.progress) progress = std::make_unique<Progress>("audit images", rows.size());
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(threads);
    const std::size_t per = (rows.size() + threads - 1) / threads;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        try {
          const std::size_t b = std::min(rows.size(), t * per), e = std::min(rows.size(), b + per);
          check_slice(rows, b, e, o, checks, progress.get());
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    for (auto& th : pool) th.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
    if (progress) progress->finish();
  }
  std::map<std::string, std::vector<std::size_t>> by_hash;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& c = checks[i];
    const auto& id = rows[i].item.id;
    if (!c.error.empty()) {
      ++q.unreadable;
      q.problems.push_back({id, "unreadable", c.error});
      continue;
    }
    by_hash[c.hash].push_back(i);
    if (c.faces == 0) {
      ++q.no_face;
      q.problems.push_back({id, "no_face", ""});
    } else if (c.faces > 1) {
      ++q.several_faces;
      q.problems.push_back({id, "several_faces", std::to_string(c.faces) + " faces"});
    }
  }
  std::vector<std::vector<std::size_t>> groups;
  for (auto& [h, idx] : by_hash)
    if (idx.size() > 1) groups.push_back(idx);
  std::sort(groups.begin(), groups.end());  // by first listing position
  for (const auto& g : groups) {
    std::vector<std::string> ids;
    for (auto i : g) ids.push_back(rows[i].item.id);
    q.exact_groups.push_back(std::move(ids));
  }
  if (!o.embeddings.empty()) {
    q.near_checked = true;
    near_duplicates(rows, checks, o, threads, q);
  }
  return q;
}

}  // namespace emonet::data
