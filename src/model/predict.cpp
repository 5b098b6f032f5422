// run_predictions: files -> decode -> (faces) -> batches -> Model -> JSONL / CSV / table.
#include "emonet/predict.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "emonet/csv.h"
#include "emonet/error.h"
#include "emonet/npy.h"
#include "emonet/progress.h"
#include "emonet/pydict.h"
#include "emonet/strings.h"

namespace emonet::model {

namespace fs = std::filesystem;

OutputFormat parse_output_format(const std::string& name) {
  if (name == "jsonl") return OutputFormat::jsonl;
  if (name == "csv") return OutputFormat::csv;
  if (name == "table") return OutputFormat::table;
  throw Error("unknown format '" + name + "' (use jsonl, csv or table)", {"", 0, "format"});
}

namespace {

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp";
}

// One model input: an image, or a face cropped from it.
struct Item {
  std::string path;
  std::optional<FaceBox> face;
  std::size_t face_index = 0;
  Image image;
};

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

class Writer {
 public:
  Writer(const PredictOptions& o, std::ostream& out) : o_(o), out_(out), csv_(out) {}

  void write(const Item& item, const Prediction& p) {
    switch (o_.format) {
      case OutputFormat::jsonl:
        out_ << prediction_json(item.path, p, item.face, item.face_index) << '\n';
        break;
      case OutputFormat::csv:
        write_csv(item, p);
        break;
      case OutputFormat::table:
        write_table(item, p);
        break;
    }
    out_.flush();
  }

 private:
  void write_csv(const Item& item, const Prediction& p) {
    if (!header_done_) {
      std::vector<std::string> h = {"image_path"};
      if (o_.faces) h.insert(h.end(), {"face", "box_x", "box_y", "box_width", "box_height"});
      for (const auto& s : p.heads) {
        const std::string k(s.category->head_key);
        h.insert(h.end(), {k + "_raw", k + "_mean_subtracted", k + "_softmax"});
      }
      csv_.write_row(h);
      header_done_ = true;
    }
    std::vector<std::string> row = {item.path};
    if (o_.faces && item.face) {
      const auto& b = *item.face;
      row.insert(row.end(),
                 {std::to_string(item.face_index), std::to_string(b.x), std::to_string(b.y),
                  std::to_string(b.width), std::to_string(b.height)});
    }
    for (const auto& s : p.heads) {
      row.push_back(format_double_shortest(double(s.raw)));
      row.push_back(format_double_shortest(s.mean_subtracted));
      row.push_back(s.softmax ? format_double_shortest(*s.softmax) : "");
    }
    csv_.write_row(row);
  }

  void write_table(const Item& item, const Prediction& p) {
    out_ << item.path;
    if (item.face) {
      const auto& b = *item.face;
      out_ << "  face " << item.face_index << " at " << b.x << "," << b.y << " " << b.width << "x"
           << b.height;
    }
    out_ << '\n';
    std::vector<const HeadScore*> emotions, extras;
    for (const auto& s : p.heads) (s.softmax ? emotions : extras).push_back(&s);
    std::stable_sort(emotions.begin(), emotions.end(), [](const HeadScore* a, const HeadScore* b) {
      return *a->softmax > *b->softmax;
    });
    const std::size_t k = std::min(o_.top_k, emotions.size());
    for (std::size_t i = 0; i < k; ++i) {
      const auto& s = *emotions[i];
      char line[256];
      std::snprintf(line, sizeof line,
                    "  %2zu. %-46s %6.2f %%   mean-subtracted %7.3f   raw %7.3f\n", i + 1,
                    std::string(s.category->name).c_str(), 100.0 * *s.softmax, s.mean_subtracted,
                    double(s.raw));
      out_ << line;
    }
    if (!extras.empty()) {
      out_ << "      ";
      for (std::size_t i = 0; i < extras.size(); ++i)
        out_ << (i ? ", " : "") << extras[i]->category->name << " "
             << fixed(extras[i]->mean_subtracted, 3);
      out_ << "  (mean-subtracted)\n";
    }
  }

  const PredictOptions& o_;
  std::ostream& out_;
  CsvWriter csv_;
  bool header_done_ = false;
};

}  // namespace

std::vector<std::string> collect_images(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(
               in, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec) && is_image_name(it->path()))
          found.push_back(it->path().string());
      if (ec) throw Error("cannot list directory: " + ec.message(), {in, 0, ""});
      if (found.empty())
        throw Error("no .jpg, .jpeg, .png or .webp images in directory", {in, 0, ""});
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(in, ec)) {
      files.push_back(in);
    } else {
      throw Error("no such file or directory", {in, 0, ""});
    }
  }
  return files;
}

std::string prediction_json(const std::string& image_path, const Prediction& prediction,
                            const std::optional<FaceBox>& face, std::size_t face_index) {
  nlohmann::ordered_json j;
  j["image_path"] = image_path;
  if (face) {
    j["face"] = face_index;
    j["box"] = {{"x", face->x},
                {"y", face->y},
                {"width", face->width},
                {"height", face->height},
                {"score", double(face->score)}};
  }
  nlohmann::ordered_json results = nlohmann::ordered_json::object();
  for (const auto& s : prediction.heads) {
    nlohmann::ordered_json r;
    r["raw"] = double(s.raw);
    r["mean_subtracted"] = s.mean_subtracted;
    r["softmax"] = s.softmax ? nlohmann::ordered_json(*s.softmax) : nlohmann::ordered_json();
    results[std::string(s.category->head_key)] = std::move(r);
  }
  j["results"] = std::move(results);
  return j.dump();
}

PredictSummary run_predictions(const Model& model, const std::vector<std::string>& images,
                               const PredictOptions& o, std::ostream& out, std::ostream& err) {
  std::vector<PredictInput> inputs;
  inputs.reserve(images.size());
  for (const auto& path : images) inputs.push_back(PredictInput{path, {}});
  return run_predictions(model, inputs, o, out, err);
}

PredictSummary run_predictions(const Model& model, const std::vector<PredictInput>& images,
                               const PredictOptions& o, std::ostream& out, std::ostream& err) {
  PredictSummary summary;
  Writer writer(o, out);
  std::unique_ptr<FaceDetector> detector;
  if (o.faces) detector = std::make_unique<FaceDetector>(o.face_detector);
  const std::size_t batch = std::max<std::size_t>(1, o.batch);
  const auto hidden = std::size_t(model.info().hidden);
  std::vector<float> embeddings;
  Progress progress(o.faces ? "faces" : "predict", images.size());

  std::vector<Item> pending;
  auto flush = [&] {
    if (pending.empty()) return;
    std::vector<Image> batch_images;
    batch_images.reserve(pending.size());
    for (auto& it : pending) batch_images.push_back(std::move(it.image));
    const auto preds = model.predict(batch_images, !o.embeddings_npy.empty());
    for (std::size_t i = 0; i < pending.size(); ++i) {
      writer.write(pending[i], preds[i]);
      if (!o.embeddings_npy.empty())
        embeddings.insert(embeddings.end(), preds[i].embedding.begin(), preds[i].embedding.end());
      ++summary.records;
    }
    pending.clear();
  };

  for (const auto& input : images) {
    const std::string& path = input.path;
    ++summary.images;
    try {
      Image image = input.read
                        ? decode_image_memory(input.read(), path, DecodeOptions{o.exif_rotate})
                        : decode_image_file(path, DecodeOptions{o.exif_rotate});
      if (detector) {
        const auto boxes = detector->detect(image);
        if (boxes.empty()) {
          ++summary.no_face;
          err << "emonet: warning: " << path << ": no face found\n";
        }
        for (std::size_t f = 0; f < boxes.size(); ++f)
          pending.push_back(Item{path, boxes[f], f, crop_face(image, boxes[f], o.face_margin)});
      } else {
        pending.push_back(Item{path, std::nullopt, 0, std::move(image)});
      }
    } catch (const Error& e) {
      ++summary.failed;
      err << "emonet: error: " << e.with_file(path).what() << '\n';
    }
    if (pending.size() >= batch) flush();
    if (o.progress) progress.tick();
  }
  flush();
  progress.finish();
  if (!o.embeddings_npy.empty())
    write_npy(o.embeddings_npy, embeddings.data(), {summary.records, hidden});
  return summary;
}

}  // namespace emonet::model
