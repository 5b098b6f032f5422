// libFuzzer harness: the annotation server's HTTP request reader (annotate/http_reader.h,
// Boost.Beast's parser underneath) on arbitrary bytes from a socket. The first byte picks
// how the bytes arrive (all at once or in chunks of 1..16 bytes), as TCP may split them
// anywhere; the requests read, and where reading stops with an error, must not depend on
// the split. Also the query/form decoder on every target and body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "annotate/http_reader.h"

namespace {

using emonet::annotate::http::Request;
using emonet::annotate::http::RequestReader;

struct Outcome {
  std::vector<std::string> requests;  // method, target, body of each request read
  int error = 0;
};

Outcome read_all(const std::string& bytes, std::size_t chunk) {
  RequestReader reader(4096, 2048);
  Outcome out;
  std::string in;
  std::size_t pos = 0;
  while (true) {
    const std::size_t n = chunk == 0 ? bytes.size() - pos : std::min(chunk, bytes.size() - pos);
    in.append(bytes, pos, n);
    pos += n;
    for (;;) {
      const RequestReader::State st = reader.feed(in);
      if (st == RequestReader::State::done) {
        Request r = reader.take("127.0.0.1");
        out.requests.push_back(r.method + " " + r.target + " " + std::to_string(r.body.size()) +
                               " " + std::to_string(r.params.size()));
        if (r.path.empty() || r.path[0] != '/') std::abort();
        continue;
      }
      if (st == RequestReader::State::error) {
        out.error = reader.error_status();
        if (out.error < 400 || out.error > 599) std::abort();
        return out;
      }
      break;
    }
    if (pos == bytes.size()) return out;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = data[0] % 17;  // 0: everything in one read
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const Outcome split = read_all(bytes, chunk);
  const Outcome whole = read_all(bytes, 0);
  // The requests read must not depend on how the bytes were split. (Which error ends the
  // stream may: a header over the limit is refused as soon as its size shows it.)
  if (split.requests != whole.requests) std::abort();
  return 0;
}
