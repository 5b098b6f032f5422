// The annotation server's request reader (annotate/http_reader.h) without sockets: the
// same bytes must give the same requests and the same refusal however TCP splits them,
// and fields must be decoded as browsers encode them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "annotate/http_reader.h"

namespace emonet::annotate::http {
namespace {

struct Outcome {
  std::vector<Request> requests;
  int error = 0;
};

// Feeds `bytes` in pieces of `chunk` bytes (0: all at once).
Outcome read(const std::string& bytes, std::size_t chunk, std::size_t max_header = 2048) {
  RequestReader reader(4096, max_header);
  Outcome out;
  std::string in;
  for (std::size_t pos = 0; pos < bytes.size();) {
    const std::size_t n = chunk == 0 ? bytes.size() : std::min(chunk, bytes.size() - pos);
    in.append(bytes, pos, n);
    pos += n;
    for (;;) {
      const auto st = reader.feed(in);
      if (st == RequestReader::State::done) {
        out.requests.push_back(reader.take("127.0.0.1"));
        continue;
      }
      if (st == RequestReader::State::error) {
        out.error = reader.error_status();
        return out;
      }
      break;
    }
  }
  return out;
}

// Found by fuzz/http_request_fuzz.cpp: a header a few bytes over the limit passed
// Beast's own limit when it arrived in one read and failed it when it came in pieces.
TEST(HttpReader, AHeaderOverTheLimitIsRefusedHoweverItArrives) {
  for (std::size_t extra : {0, 1, 5, 17}) {
    const std::string start = "GET /api/projects?x=";
    const std::string end = " HTTP/1.1\r\nHost: a\r\n\r\n";
    const std::size_t fill = 2048 + extra - start.size() - end.size();
    const std::string request = start + std::string(fill, 'a') + end;  // 2048 + extra bytes
    for (std::size_t chunk : {0, 1, 7, 100}) {
      const Outcome o = read(request + "GET / HTTP/1.1\r\n\r\n", chunk);
      if (extra == 0) {
        ASSERT_EQ(o.error, 0) << chunk;
        ASSERT_EQ(o.requests.size(), 2u) << chunk;
      } else {
        EXPECT_EQ(o.error, 431) << "extra " << extra << " chunk " << chunk;
        EXPECT_TRUE(o.requests.empty());
      }
    }
  }
}

TEST(HttpReader, DecodesPathQueryHeadersAndForms) {
  const std::string bytes =
      "\r\nPOST /login%2Fx?next=%2Fannotate%2F3&a=1&a=2&flag HTTP/1.1\r\n"
      "host: x\r\nCONTENT-TYPE: application/x-www-form-urlencoded\r\nContent-Length: 26\r\n"
      "\r\nusername=ann+o%27neil&pw=%"
      "GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  for (std::size_t chunk : {0, 1, 3}) {
    const Outcome o = read(bytes, chunk);
    ASSERT_EQ(o.error, 0);
    ASSERT_EQ(o.requests.size(), 2u);
    const Request& r = o.requests[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/login/x");
    EXPECT_EQ(r.get_param_value("next"), "/annotate/3");
    EXPECT_EQ(r.params.count("a"), 2u);
    EXPECT_TRUE(r.has_param("flag"));
    EXPECT_EQ(r.get_header_value("Content-Type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(r.get_param_value("username"), "ann o'neil");
    EXPECT_EQ(r.get_param_value("pw"), "%");  // a broken escape is kept as sent
    EXPECT_EQ(o.requests[1].path, "/b");
  }
}

TEST(HttpReader, KeepAliveFollowsTheVersionAndTheConnectionHeader) {
  auto keep = [](const std::string& bytes) {
    RequestReader reader(100);
    std::string in = bytes;
    EXPECT_EQ(reader.feed(in), RequestReader::State::done);
    reader.take("");
    return reader.keep_alive();
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

}  // namespace
}  // namespace emonet::annotate::http
