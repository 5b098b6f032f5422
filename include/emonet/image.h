// Images: decoding, PIL-compatible RGB conversion and resizing, SigLIP normalisation, faces.
//
// The reference pipeline of Empathic-Insight-Face is
//   PIL.Image.open(path).convert("RGB")  ->  SiglipImageProcessor (resize on uint8 with
//   PIL's antialiased filters, * rescale_factor, (x - mean) / std, HWC -> CHW).
// This module reproduces that pipeline bit for bit on the same files: JPEG through
// libjpeg-turbo with the decoder settings Pillow 9.4 uses, PNG through libpng with
// Pillow's rules for 16-bit, palette and grayscale images, WebP through libwebp's
// animation decoder as Pillow does; resizing with Pillow's fixed-point convolution; the
// float arithmetic of transformers' rescale (float64, then float32) and normalize (float32).
// See docs/image.md for what matches exactly and why.
//
// Thread safety: every free function is pure (no shared state) and safe to call from any
// number of threads at once. A FaceDetector may be shared between threads: detect() is
// serialised by an internal mutex.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace emonet {

// ----------------------------------------------------------------------------------------
// Decoding

// An 8-bit image with interleaved channels, rows top to bottom, no padding.
// Every decode function returns RGB (channels == 3): the pixels PIL's
// Image.open(path).convert("RGB") gives for the same file.
struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;
  std::vector<std::uint8_t> pixels;  // width * height * channels bytes

  std::size_t row_bytes() const { return static_cast<std::size_t>(width) * channels; }
  const std::uint8_t* row(int y) const { return pixels.data() + y * row_bytes(); }
  std::uint8_t* row(int y) { return pixels.data() + y * row_bytes(); }
};

struct DecodeOptions {
  // Apply the EXIF Orientation tag (as PIL.ImageOps.exif_transpose). Off by default,
  // like the reference pipeline, which feeds the stored pixel grid to the model.
  bool exif_rotate = false;
};

// Decodes a JPEG, PNG or WebP file (recognised by content, not by extension) to RGB8.
// Throws emonet::Error naming the path for unreadable, corrupt, truncated or unsupported
// files; never crashes on hostile input.
Image decode_image_file(const std::string& path, const DecodeOptions& options = {});

// Same for bytes in memory; `name` is used in error messages in place of a path.
Image decode_image_memory(std::span<const std::uint8_t> bytes, const std::string& name,
                          const DecodeOptions& options = {});

// The format and pixel size an encoded image declares in its header, read without
// decoding anything: lets a server refuse a decompression bomb (a small file declaring a
// huge canvas) before any pixel buffer exists. nullopt when the bytes do not start like a
// JPEG, PNG or WebP header that states its size (decode_image_memory then names the fault).
struct ImageHeader {
  std::string_view format;  // "jpeg", "png" or "webp"
  int width = 0;
  int height = 0;
};
std::optional<ImageHeader> probe_image_header(std::span<const std::uint8_t> bytes);

// ----------------------------------------------------------------------------------------
// Resizing

// Resampling filters with Pillow's integer codes (Image.Resampling), as stored in
// preprocessor_config.json "resample".
enum class Resample : int {
  kNearest = 0,
  kLanczos = 1,
  kBilinear = 2,
  kBicubic = 3,
  kBox = 4,
  kHamming = 5,
};

// Pillow code -> filter; throws emonet::Error for any other code.
Resample resample_from_pil_code(int code);
// "nearest" | "bilinear" | "bicubic" | "lanczos" | "box" | "hamming"; throws otherwise.
Resample parse_resample(std::string_view name);
std::string_view resample_name(Resample r);

// PIL 9.4's Image.resize((width, height), resample) on an 8-bit image (any channel
// count): separable convolution, antialiased when downscaling, 22-bit fixed-point
// coefficients. Pixel-identical to Pillow. Throws emonet::Error for sizes < 1.
Image resize(const Image& image, int width, int height, Resample resample);

// ----------------------------------------------------------------------------------------
// Normalisation (SiglipImageProcessor)

struct PreprocessConfig {
  // Output size. When shortest_edge > 0 the aspect ratio is kept instead and the
  // shorter side becomes shortest_edge (transformers' get_resize_output_image_size);
  // width/height are then ignored.
  int width = 384;
  int height = 384;
  int shortest_edge = 0;
  Resample resample = Resample::kBilinear;
  bool do_resize = true;
  bool do_rescale = true;
  bool do_normalize = true;
  double rescale_factor = 1.0 / 255.0;
  std::array<float, 3> mean = {0.5f, 0.5f, 0.5f};
  std::array<float, 3> std = {0.5f, 0.5f, 0.5f};
  bool do_convert_rgb = true;  // decoded images are always RGB; kept for completeness

  // The defaults of transformers' SiglipImageProcessor (224x224, bicubic), which
  // load_preprocess_config starts from before applying the file's fields. The member
  // defaults above are instead those assumed for google/siglip2-so400m-patch16-384.
  static PreprocessConfig siglip_defaults();

  // {height, width} of the tensor produced for an input of the given size.
  std::array<int, 2> output_size(int input_width, int input_height) const;
};

// Reads a Hugging Face preprocessor_config.json. Fields: size ({"height","width"},
// {"shortest_edge"} or an int = square), resample (Pillow code), rescale_factor,
// image_mean, image_std (3 numbers or one), do_resize, do_rescale, do_normalize,
// do_convert_rgb. Missing fields take SiglipImageProcessor's defaults; unknown fields
// are ignored. Throws emonet::Error naming the file and field on bad values.
PreprocessConfig load_preprocess_config(const std::string& preprocessor_config_json_path);
PreprocessConfig parse_preprocess_config(std::string_view json_text, const std::string& name);

// Resize (if configured) + rescale + normalise `image` (RGB8) into a CHW float32 tensor
// of 3 * H * W floats, {H, W} = config.output_size(image.width, image.height).
// Equal to SiglipImageProcessor(images=[pil_image])["pixel_values"][0].
void preprocess_into(const Image& image, const PreprocessConfig& config, float* chw_out);
std::vector<float> preprocess(const Image& image, const PreprocessConfig& config);

// ----------------------------------------------------------------------------------------
// Faces

// A face in original image coordinates (pixels, top-left origin, clamped to the image).
struct FaceBox {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  // Detector confidence: YuNet's score in [0, 1]; for Haar cascades the number of
  // neighbouring detections merged into this box (higher = more certain).
  float score = 0.0f;
};

enum class FaceDetectorKind {
  kHaar,   // OpenCV Haar cascade (opencv-data ships the XML files; works offline)
  kYuNet,  // cv::FaceDetectorYN with a user-supplied ONNX model (face_detection_yunet_*.onnx)
};

struct FaceDetectorOptions {
  FaceDetectorKind kind = FaceDetectorKind::kHaar;
  // Haar: cascade XML (empty = default_haar_cascade_path()). YuNet: the ONNX file (required).
  std::string model_path;
  // Haar parameters (cv::CascadeClassifier::detectMultiScale).
  double scale_factor = 1.1;
  int min_neighbors = 5;
  // Faces smaller than this fraction of the shorter image side are ignored (both kinds).
  double min_face_fraction = 0.05;
  // YuNet parameters.
  float score_threshold = 0.7f;
  float nms_threshold = 0.3f;
  // Images larger than this (longer side, pixels) are detected on a downscaled copy for
  // speed; boxes are mapped back to original coordinates. 0 = never downscale.
  int max_detection_side = 1024;
};

// The Haar cascade installed by Debian's opencv-data (frontal face, default), or an
// empty string if none of the known locations has it.
std::string default_haar_cascade_path();

// Options for a model file chosen by the user (e.g. `--face-model PATH`): empty = the
// default Haar cascade, "*.onnx" = YuNet, "*.xml" = that Haar cascade; anything else throws.
FaceDetectorOptions face_detector_options_for(const std::string& model_path);

// Loads the detector model once; detect() may then be called many times, from any thread.
class FaceDetector {
 public:
  explicit FaceDetector(const FaceDetectorOptions& options);  // throws emonet::Error
  ~FaceDetector();
  FaceDetector(const FaceDetector&) = delete;
  FaceDetector& operator=(const FaceDetector&) = delete;

  // Faces in `image` (RGB8), largest first (ties: top-to-bottom, left-to-right).
  std::vector<FaceBox> detect(const Image& image) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot convenience: builds a FaceDetector and runs it once.
std::vector<FaceBox> detect_faces(const Image& image, const FaceDetectorOptions& options);

// The box grown by `margin` times its width (height) on the left and right (top and
// bottom), clamped to the image, then copied out. margin 0 = the box itself.
Image crop_face(const Image& image, const FaceBox& box, double margin);

}  // namespace emonet
