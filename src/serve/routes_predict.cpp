// POST /v1/predict and POST /v1/embed: body -> images (raw, multipart, JSON base64) ->
// header probe (decompression bombs) -> decode -> optional faces -> the batcher -> JSON.
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "emonet/error.h"
#include "emonet/predict.h"
#include "emonet/serve.h"
#include "serve/connection.h"
#include "serve/server_impl.h"

namespace emonet::serve {

using httplib::Request;
using httplib::Response;
using nlohmann::ordered_json;

namespace {

// A refusal with its HTTP status, thrown while reading a request and answered as JSON.
struct Refusal {
  int status;
  std::string message;
};

struct Upload {
  std::string name;  // image_path of its records
  std::vector<std::uint8_t> bytes;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// The images of a request body, by its Content-Type.
std::vector<Upload> read_uploads(const Request& req) {
  const std::string type_header = req.get_header_value("Content-Type");
  const std::string type = lower(type_header.substr(0, type_header.find(';')));
  auto trimmed = type;
  while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
  std::vector<Upload> out;
  if (trimmed == "image/jpeg" || trimmed == "image/jpg" || trimmed == "image/png" ||
      trimmed == "image/webp") {
    const std::string name = req.has_param("name") ? req.get_param_value("name") : "image";
    out.push_back({name, std::vector<std::uint8_t>(req.body.begin(), req.body.end())});
  } else if (trimmed == "multipart/form-data") {
    // cpp-httplib has parsed the parts (a malformed body was answered 400 before routing).
    const auto range = req.files.equal_range("image");
    std::size_t i = 0;
    for (auto it = range.first; it != range.second; ++it, ++i) {
      const auto& part = it->second;
      out.push_back({part.filename.empty() ? "images[" + std::to_string(i) + "]" : part.filename,
                     std::vector<std::uint8_t>(part.content.begin(), part.content.end())});
    }
    if (out.empty()) throw Refusal{400, "multipart body has no part named \"image\""};
  } else if (trimmed == "application/json") {
    try {
      auto images = parse_json_images(req.body);
      for (std::size_t i = 0; i < images.size(); ++i)
        out.push_back({"images[" + std::to_string(i) + "]", std::move(images[i])});
    } catch (const BodyError& e) {
      throw Refusal{e.status, e.what()};
    }
  } else if (trimmed.empty()) {
    throw Refusal{415,
                  "missing Content-Type (use image/jpeg, image/png, image/webp, "
                  "multipart/form-data or application/json)"};
  } else {
    throw Refusal{415, "unsupported Content-Type '" + trimmed +
                           "' (use image/jpeg, image/png, image/webp, multipart/form-data or "
                           "application/json)"};
  }
  if (out.empty()) throw Refusal{400, "no image in the request"};
  return out;
}

// Decodes every upload, refusing a declared size over the pixel limit before decoding.
std::vector<Image> decode_uploads(const std::vector<Upload>& uploads, const ServerOptions& o) {
  if (uploads.size() > o.max_images)
    throw Refusal{413, std::to_string(uploads.size()) +
                           " images in one request, over the limit of " +
                           std::to_string(o.max_images)};
  std::vector<Image> images;
  images.reserve(uploads.size());
  for (const auto& u : uploads) {
    if (const auto header = probe_image_header(u.bytes)) {
      const std::int64_t pixels = std::int64_t(header->width) * header->height;
      if (pixels > o.max_pixels)
        throw Refusal{413, u.name + ": the " + std::string(header->format) + " header declares " +
                               std::to_string(header->width) + "x" +
                               std::to_string(header->height) + " = " + std::to_string(pixels) +
                               " pixels, over the limit of " + std::to_string(o.max_pixels)};
    }
    try {
      images.push_back(decode_image_memory(u.bytes, u.name));
    } catch (const Error& e) {
      throw Refusal{422, e.what()};
    }
  }
  return images;
}

bool flag_param(const Request& req, const char* key, bool fallback) {
  if (!req.has_param(key)) return fallback;
  const std::string v = lower(req.get_param_value(key));
  if (v == "true" || v == "1" || v == "yes" || v.empty()) return true;
  if (v == "false" || v == "0" || v == "no") return false;
  throw Refusal{400, std::string("query parameter '") + key + "' must be true or false"};
}

std::size_t top_param(const Request& req) {
  if (!req.has_param("top")) return 0;
  const std::string v = req.get_param_value("top");
  std::size_t k = 0;
  bool ok = !v.empty() && v.size() <= 2;
  for (char c : v) ok = ok && c >= '0' && c <= '9';
  if (ok) k = std::stoul(v);
  if (!ok || k < 1 || k > kNumEmotions)
    throw Refusal{
        400, "query parameter 'top' must be an integer from 1 to " + std::to_string(kNumEmotions)};
  return k;
}

// The K strongest emotions by the softmax `emonet predict` reports as the primary score.
ordered_json top_emotions(const model::Prediction& p, std::size_t k) {
  std::vector<const model::HeadScore*> emotions;
  for (const auto& s : p.heads)
    if (s.softmax) emotions.push_back(&s);
  std::stable_sort(emotions.begin(), emotions.end(),
                   [](const auto* a, const auto* b) { return *a->softmax > *b->softmax; });
  ordered_json top = ordered_json::array();
  for (std::size_t i = 0; i < std::min(k, emotions.size()); ++i)
    top.push_back({{"emotion", std::string(emotions[i]->category->name)},
                   {"key", std::string(emotions[i]->category->head_key)},
                   {"score", *emotions[i]->softmax}});
  return top;
}

// Scores `images` through the batcher; a refusal for everything but success.
std::vector<model::Prediction> score(Engine& e, std::vector<Image> images, const Request& req,
                                     const ServerOptions& o) {
  const int fd = detail::connection_of(req.remote_addr, req.remote_port, req.local_port);
  const bool announced = detail::take_announcement(e.batcher.get());
  auto outcome = e.batcher->run(
      std::move(images), [fd] { return fd < 0 || !detail::peer_gone(fd); }, announced);
  switch (outcome.status) {
    case detail::BatchStatus::done:
      return std::move(outcome.predictions);
    case detail::BatchStatus::full:
      throw Refusal{
          429, "the queue is full (--queue " + std::to_string(o.queue) + " images); retry later"};
    case detail::BatchStatus::timed_out:
      throw Refusal{503, "no forward pass free within --timeout-ms " +
                             std::to_string(std::int64_t(o.timeout_ms)) + " ms; retry later"};
    case detail::BatchStatus::cancelled:
      throw Refusal{503, "the client disconnected before its batch ran"};
    case detail::BatchStatus::stopped:
      throw Refusal{503, "the server is shutting down"};
    case detail::BatchStatus::failed:
      break;
  }
  throw Refusal{500, "the model failed: " + outcome.error};
}

void answer_refusal(Response& res, const Refusal& r) {
  if (r.status == 429 || r.status == 503) res.set_header("Retry-After", "1");
  detail::reply_error(res, r.status, r.message);
}

}  // namespace

void Server::Impl::register_predict_routes() {
  http.Post("/v1/predict", [this](const Request& req, Response& res) {
    try {
      const bool faces = flag_param(req, "faces", o.faces);
      const std::size_t top = top_param(req);
      const auto uploads = read_uploads(req);
      auto images = decode_uploads(uploads, o);
      Engine* e = engine_or_503(res);
      if (!e) return;
      // Faces: each image's crops are scored in the same batcher call after the images.
      std::vector<std::vector<FaceBox>> boxes(images.size());
      if (faces) {
        const FaceDetector* detector = face_detector(*e);
        if (!detector) throw Refusal{500, "face detection is unavailable: " + e->faces_error};
        const std::size_t n = images.size();
        for (std::size_t i = 0; i < n; ++i) {
          boxes[i] = detector->detect(images[i]);
          for (const auto& b : boxes[i]) images.push_back(crop_face(images[i], b, o.face_margin));
        }
      }
      const std::size_t n = uploads.size();
      const auto preds = score(*e, std::move(images), req, o);
      std::vector<std::string> records;
      std::size_t next_face = n;
      for (std::size_t i = 0; i < n; ++i) {
        std::string rec = model::prediction_json(uploads[i].name, preds[i]);
        if (faces || top > 0) {
          auto j = ordered_json::parse(rec);
          if (top > 0) j["top"] = top_emotions(preds[i], top);
          if (faces) {
            ordered_json list = ordered_json::array();
            for (std::size_t f = 0; f < boxes[i].size(); ++f) {
              auto fj = ordered_json::parse(
                  model::prediction_json(uploads[i].name, preds[next_face], boxes[i][f], f));
              fj.erase("image_path");
              if (top > 0) fj["top"] = top_emotions(preds[next_face], top);
              list.push_back(std::move(fj));
              ++next_face;
            }
            j["faces"] = std::move(list);
          }
          rec = j.dump();
        }
        records.push_back(std::move(rec));
      }
      if (records.size() == 1 &&
          lower(req.get_header_value("Content-Type")).starts_with("image/")) {
        detail::reply_json(res, 200, records[0]);
      } else {
        std::string body = "{\"predictions\":[";
        for (std::size_t i = 0; i < records.size(); ++i) body += (i ? "," : "") + records[i];
        detail::reply_json(res, 200, body + "]}");
      }
    } catch (const Refusal& r) {
      answer_refusal(res, r);
    }
  });

  http.Post("/v1/embed", [this](const Request& req, Response& res) {
    try {
      const auto uploads = read_uploads(req);
      auto images = decode_uploads(uploads, o);
      Engine* e = engine_or_503(res);
      if (!e) return;
      const auto preds = score(*e, std::move(images), req, o);
      ordered_json list = ordered_json::array();
      for (std::size_t i = 0; i < preds.size(); ++i)
        list.push_back({{"image_path", uploads[i].name}, {"embedding", preds[i].embedding}});
      ordered_json j;
      j["dimension"] = e->model.info().hidden;
      j["embeddings"] = std::move(list);
      detail::reply_json(res, 200, j.dump());
    } catch (const Refusal& r) {
      answer_refusal(res, r);
    }
  });
}

}  // namespace emonet::serve
