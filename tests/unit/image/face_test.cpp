// Face detection (OpenCV Haar cascade from Debian's opencv-data) and face crops.
//
// No photograph of a real face exists on the build machine, so the detector runs on
// synthetic shaded faces drawn by tests/fixtures/image_reference.py at known positions:
// the test checks that each detected box is centred on a drawn face, that boxes are in
// range and sorted by size, and that large-image downscaling maps boxes back correctly.
#include <gtest/gtest.h>

#include <cmath>

#include "emonet/error.h"
#include "image_fixtures.h"

namespace emonet {
namespace {

using test::fixture;

struct Drawn {
  double cx, cy, s;
};

std::vector<Drawn> drawn_faces(double scale) {
  std::vector<Drawn> out;
  for (const auto& f : test::manifest()["faces"])
    out.push_back({double{f["cx"]} * scale, double{f["cy"]} * scale, double{f["s"]} * scale});
  return out;
}

// Index of the drawn face whose centre is within 0.25 s of the box centre, or -1.
int matching_face(const FaceBox& b, const std::vector<Drawn>& faces) {
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const double bx = b.x + b.width / 2.0, by = b.y + b.height / 2.0;
    if (std::hypot(bx - faces[i].cx, by - faces[i].cy) < 0.25 * faces[i].s &&
        b.width > faces[i].s && b.width < 3 * faces[i].s)
      return static_cast<int>(i);
  }
  return -1;
}

void expect_valid(const std::vector<FaceBox>& boxes, const Image& img) {
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    const FaceBox& b = boxes[i];
    EXPECT_GE(b.x, 0);
    EXPECT_GE(b.y, 0);
    EXPECT_GT(b.width, 0);
    EXPECT_GT(b.height, 0);
    EXPECT_LE(b.x + b.width, img.width);
    EXPECT_LE(b.y + b.height, img.height);
    if (i) {
      EXPECT_GE(boxes[i - 1].width * boxes[i - 1].height, b.width * b.height);
    }
  }
}

TEST(FaceDetect, DefaultCascadeIsInstalled) {
  const std::string path = default_haar_cascade_path();
  ASSERT_FALSE(path.empty()) << "install Debian's opencv-data";
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(FaceDetect, HaarFindsTheDrawnFaces) {
  const Image img = decode_image_file(fixture("faces.png"));
  const auto faces = drawn_faces(1.0);
  const auto boxes = detect_faces(img, {});
  ASSERT_GE(boxes.size(), 1u);
  expect_valid(boxes, img);
  EXPECT_EQ(matching_face(boxes[0], faces), 0) << "largest box should be the large face";
  for (const FaceBox& b : boxes) EXPECT_GE(matching_face(b, faces), 0) << "box away from faces";
}

TEST(FaceDetect, DownscaledDetectionMapsBackToOriginalPixels) {
  const Image img = decode_image_file(fixture("faces_large.jpg"));
  FaceDetectorOptions o;
  o.max_detection_side = 800;  // detect at 1/3 scale
  const auto boxes = FaceDetector(o).detect(img);
  ASSERT_GE(boxes.size(), 1u);
  expect_valid(boxes, img);
  EXPECT_EQ(matching_face(boxes[0], drawn_faces(3.0)), 0);
}

TEST(FaceDetect, BlankImageHasNoFaces) {
  Image blank{320, 240, 3, std::vector<std::uint8_t>(320 * 240 * 3, 128)};
  EXPECT_TRUE(detect_faces(blank, {}).empty());
  Image tiny{1, 1, 3, {0, 0, 0}};
  EXPECT_TRUE(detect_faces(tiny, {}).empty());
}

TEST(FaceDetect, MissingOrInvalidModelsAreErrors) {
  FaceDetectorOptions yunet;
  yunet.kind = FaceDetectorKind::kYuNet;
  EXPECT_THROW(FaceDetector{yunet}, Error);  // YuNet needs a model file
  yunet.model_path = "/nonexistent/face_detection_yunet_2022mar.onnx";
  EXPECT_THROW(FaceDetector{yunet}, Error);
  yunet.model_path = fixture("png_rgb8.png");  // not an ONNX model
  EXPECT_THROW(FaceDetector{yunet}, Error);
  FaceDetectorOptions haar;
  haar.model_path = fixture("manifest.json");  // not a cascade
  EXPECT_THROW(FaceDetector{haar}, Error);
}

TEST(FaceDetect, OptionsFromModelPath) {
  EXPECT_EQ(face_detector_options_for("").kind, FaceDetectorKind::kHaar);
  EXPECT_TRUE(face_detector_options_for("").model_path.empty());
  const auto y = face_detector_options_for("/m/face_detection_yunet_2022mar.onnx");
  EXPECT_EQ(y.kind, FaceDetectorKind::kYuNet);
  EXPECT_EQ(y.model_path, "/m/face_detection_yunet_2022mar.onnx");
  EXPECT_EQ(face_detector_options_for("/c/haarcascade_frontalface_alt2.xml").kind,
            FaceDetectorKind::kHaar);
  EXPECT_THROW(face_detector_options_for("model.bin"), Error);
}

TEST(FaceDetect, AlternativeCascadeFile) {
  const std::string alt2 = std::filesystem::path(default_haar_cascade_path()).parent_path() /
                           "haarcascade_frontalface_alt2.xml";
  const Image img = decode_image_file(fixture("faces.png"));
  const auto boxes = FaceDetector(face_detector_options_for(alt2)).detect(img);
  expect_valid(boxes, img);
  for (const FaceBox& b : boxes) EXPECT_GE(matching_face(b, drawn_faces(1.0)), 0);
}

TEST(FaceCrop, MarginIsClampedToTheImage) {
  Image img{10, 8, 3, {}};
  img.pixels.resize(10 * 8 * 3);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>(i);
  const Image c0 = crop_face(img, {2, 3, 4, 2, 1.0f}, 0.0);
  EXPECT_EQ(c0.width, 4);
  EXPECT_EQ(c0.height, 2);
  EXPECT_EQ(c0.pixels[0], img.pixels[(3 * 10 + 2) * 3]);
  const Image c1 = crop_face(img, {2, 3, 4, 2, 1.0f}, 0.25);  // 1 px each side
  EXPECT_EQ(c1.width, 6);
  EXPECT_EQ(c1.height, 4);
  EXPECT_EQ(c1.pixels[0], img.pixels[(2 * 10 + 1) * 3]);
  const Image c2 = crop_face(img, {0, 0, 10, 8, 1.0f}, 0.5);  // clamped to the image
  EXPECT_EQ(c2.pixels, img.pixels);
  EXPECT_THROW(crop_face(img, {20, 20, 4, 4, 1.0f}, 0.1), Error);
  EXPECT_THROW(crop_face(img, {2, 2, 4, 4, 1.0f}, -0.1), Error);
}

}  // namespace
}  // namespace emonet
