// The request-body parsers of `emonet serve`: base64, JSON images, multipart parts.
#include <gtest/gtest.h>

#include "emonet/serve.h"

namespace emonet::serve {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(RequestBody, Base64MatchesPython) {
  // base64.b64encode(bytes(range(7))) in Python is "AAECAwQFBg==".
  EXPECT_EQ(base64_decode("AAECAwQFBg=="), (Bytes{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(base64_decode("AAECAwQFBg"), (Bytes{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_THROW(base64_decode("AA!A"), BodyError);
  EXPECT_THROW(base64_decode("AAAAA"), BodyError);
}

TEST(RequestBody, JsonImages) {
  const auto images = parse_json_images(R"({"images": ["AAECAwQFBg==", "AQ=="]})");
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[1], (Bytes{1}));
  for (const char* bad : {"{", "[]", R"({"images": 3})", R"({"images": []})", R"({"images": [1]})",
                          R"({"images": ["**"]})"}) {
    try {
      parse_json_images(bad);
      ADD_FAILURE() << bad;
    } catch (const BodyError& e) {
      EXPECT_EQ(e.status, 400) << bad;
    }
  }
}

TEST(RequestBody, MultipartImageParts) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
      "Content-Type: image/png\r\n\r\nAB\r\n--XyZ\r\n"
      "Content-Disposition: form-data; name=\"other\"\r\n\r\nzz\r\n--XyZ\r\n"
      "content-disposition: form-data; name=image\r\n\r\nC\r\n--XyZ--\r\n";
  const auto parts = multipart_images(body, "multipart/form-data; boundary=XyZ");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], (Bytes{'A', 'B'}));
  EXPECT_EQ(parts[1], (Bytes{'C'}));
  EXPECT_THROW(multipart_images(body, "multipart/form-data"), BodyError);
  EXPECT_THROW(multipart_images(body.substr(0, 60), "multipart/form-data; boundary=XyZ"),
               BodyError);
  EXPECT_THROW(multipart_images("--XyZ--", "multipart/form-data; boundary=XyZ"), BodyError);
}

}  // namespace
}  // namespace emonet::serve
