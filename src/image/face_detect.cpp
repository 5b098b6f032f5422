// Face detection with OpenCV: Haar cascades (shipped offline by Debian's opencv-data) or
// YuNet (cv::FaceDetectorYN, OpenCV >= 4.5.4) from a user-supplied ONNX file.
//
// Large images are detected on a downscaled copy (INTER_AREA) for speed; boxes are
// scaled back to the original pixel grid and clamped to it.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "emonet/error.h"
#include "emonet/image.h"

namespace emonet {

struct FaceDetector::Impl {
  FaceDetectorOptions options;
  cv::CascadeClassifier cascade;
  cv::Ptr<cv::FaceDetectorYN> yunet;
  std::mutex mutex;  // OpenCV detectors keep per-call state; detect() is serialised
};

std::string default_haar_cascade_path() {
  for (const char* dir : {"/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades",
                          "/usr/local/share/opencv4/haarcascades"}) {
    const std::string p = std::string(dir) + "/haarcascade_frontalface_default.xml";
    if (std::filesystem::exists(p)) return p;
  }
  return {};
}

FaceDetectorOptions face_detector_options_for(const std::string& model_path) {
  FaceDetectorOptions o;
  if (model_path.empty()) return o;
  const std::string ext = std::filesystem::path(model_path).extension().string();
  if (ext == ".onnx")
    o.kind = FaceDetectorKind::kYuNet;
  else if (ext != ".xml")
    throw Error("face model must be a YuNet .onnx file or a Haar cascade .xml file",
                {model_path, 0, ""});
  o.model_path = model_path;
  return o;
}

FaceDetector::FaceDetector(const FaceDetectorOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  if (options.scale_factor <= 1.0)
    throw Error("face detector scale factor must be > 1", {"", 0, "scale_factor"});
  if (options.min_face_fraction < 0.0 || options.min_face_fraction >= 1.0)
    throw Error("minimum face fraction must be in [0, 1)", {"", 0, "min_face_fraction"});
  try {
    if (options.kind == FaceDetectorKind::kHaar) {
      std::string path =
          options.model_path.empty() ? default_haar_cascade_path() : options.model_path;
      if (path.empty())
        throw Error(
            "no Haar cascade found (install Debian's opencv-data, or pass the cascade XML path)");
      if (!std::filesystem::is_regular_file(path))
        throw Error("Haar cascade file not found", {path, 0, ""});
      if (!impl_->cascade.load(path))
        throw Error("not a valid OpenCV cascade classifier file", {path, 0, ""});
    } else {
      if (options.model_path.empty())
        throw Error("YuNet needs its ONNX model file (face_detection_yunet_2022mar.onnx)");
      if (!std::filesystem::is_regular_file(options.model_path))
        throw Error("YuNet model file not found", {options.model_path, 0, ""});
      impl_->yunet = cv::FaceDetectorYN::create(options.model_path, "", cv::Size(320, 320),
                                                options.score_threshold, options.nms_threshold);
      if (!impl_->yunet) throw Error("cannot load YuNet model", {options.model_path, 0, ""});
    }
  } catch (const cv::Exception& e) {
    throw Error(std::string("OpenCV cannot load the face detector: ") + e.what(),
                {options.model_path, 0, ""});
  }
}

FaceDetector::~FaceDetector() = default;

std::vector<FaceBox> FaceDetector::detect(const Image& image) const {
  if (image.channels != 3 || image.width < 1 || image.height < 1)
    throw Error("face detection expects a non-empty RGB image");
  const FaceDetectorOptions& o = impl_->options;
  // cv::Mat over the caller's pixels (read-only use).
  const cv::Mat rgb(image.height, image.width, CV_8UC3,
                    const_cast<std::uint8_t*>(image.pixels.data()));
  double scale = 1.0;
  const int longer = std::max(image.width, image.height);
  if (o.max_detection_side > 0 && longer > o.max_detection_side)
    scale = static_cast<double>(o.max_detection_side) / longer;
  cv::Mat work;
  if (scale < 1.0) {
    cv::resize(rgb, work,
               cv::Size(std::max(1, static_cast<int>(std::lround(image.width * scale))),
                        std::max(1, static_cast<int>(std::lround(image.height * scale)))),
               0, 0, cv::INTER_AREA);
  } else {
    work = rgb;
  }
  const int min_side = static_cast<int>(std::min(work.cols, work.rows) * o.min_face_fraction);

  std::vector<FaceBox> faces;
  try {
    std::lock_guard lock(impl_->mutex);
    if (o.kind == FaceDetectorKind::kHaar) {
      cv::Mat gray;
      cv::cvtColor(work, gray, cv::COLOR_RGB2GRAY);
      cv::equalizeHist(gray, gray);
      std::vector<cv::Rect> rects;
      std::vector<int> neighbours;
      impl_->cascade.detectMultiScale(gray, rects, neighbours, o.scale_factor, o.min_neighbors, 0,
                                      cv::Size(std::max(min_side, 1), std::max(min_side, 1)));
      for (std::size_t i = 0; i < rects.size(); ++i) {
        FaceBox f{rects[i].x, rects[i].y, rects[i].width, rects[i].height,
                  i < neighbours.size() ? static_cast<float>(neighbours[i]) : 0.0f};
        faces.push_back(f);
      }
    } else {
      cv::Mat bgr, out;
      cv::cvtColor(work, bgr, cv::COLOR_RGB2BGR);
      impl_->yunet->setInputSize(bgr.size());
      impl_->yunet->detect(bgr, out);
      for (int i = 0; i < out.rows; ++i) {
        const float* r = out.ptr<float>(i);
        FaceBox f{static_cast<int>(std::floor(r[0])), static_cast<int>(std::floor(r[1])),
                  static_cast<int>(std::lround(r[2])), static_cast<int>(std::lround(r[3])), r[14]};
        if (std::min(f.width, f.height) < min_side) continue;
        faces.push_back(f);
      }
    }
  } catch (const cv::Exception& e) {
    throw Error(std::string("face detection failed: ") + e.what());
  }

  // Back to original coordinates, clamped to the image.
  std::vector<FaceBox> result;
  for (FaceBox f : faces) {
    const double inv = 1.0 / scale;
    int x0 = static_cast<int>(std::floor(f.x * inv));
    int y0 = static_cast<int>(std::floor(f.y * inv));
    int x1 = static_cast<int>(std::ceil((f.x + f.width) * inv));
    int y1 = static_cast<int>(std::ceil((f.y + f.height) * inv));
    x0 = std::clamp(x0, 0, image.width);
    y0 = std::clamp(y0, 0, image.height);
    x1 = std::clamp(x1, 0, image.width);
    y1 = std::clamp(y1, 0, image.height);
    if (x1 - x0 < 1 || y1 - y0 < 1) continue;
    result.push_back({x0, y0, x1 - x0, y1 - y0, f.score});
  }
  std::sort(result.begin(), result.end(), [](const FaceBox& a, const FaceBox& b) {
    const long long area_a = static_cast<long long>(a.width) * a.height;
    const long long area_b = static_cast<long long>(b.width) * b.height;
    if (area_a != area_b) return area_a > area_b;
    if (a.y != b.y) return a.y < b.y;
    return a.x < b.x;
  });
  return result;
}

std::vector<FaceBox> detect_faces(const Image& image, const FaceDetectorOptions& options) {
  return FaceDetector(options).detect(image);
}

Image crop_face(const Image& image, const FaceBox& box, double margin) {
  if (!(margin >= 0.0) || margin > 10.0) throw Error("face margin must be between 0 and 10");
  const double mx = box.width * margin, my = box.height * margin;
  const int x0 = std::clamp(static_cast<int>(std::floor(box.x - mx)), 0, image.width);
  const int y0 = std::clamp(static_cast<int>(std::floor(box.y - my)), 0, image.height);
  const int x1 = std::clamp(static_cast<int>(std::ceil(box.x + box.width + mx)), 0, image.width);
  const int y1 = std::clamp(static_cast<int>(std::ceil(box.y + box.height + my)), 0, image.height);
  if (x1 - x0 < 1 || y1 - y0 < 1) throw Error("face box lies outside the image");
  Image out;
  out.width = x1 - x0;
  out.height = y1 - y0;
  out.channels = image.channels;
  out.pixels.resize(out.row_bytes() * out.height);
  for (int y = 0; y < out.height; ++y)
    std::copy_n(image.row(y0 + y) + static_cast<std::size_t>(x0) * image.channels, out.row_bytes(),
                out.row(y));
  return out;
}

}  // namespace emonet
