// emonet::serve — request-body parsing for the inference service (`emonet serve`).
//
// The bodies POST /v1/predict and /v1/embed accept besides one raw image: JSON
// {"images": ["<base64>", ...]} and multipart/form-data with `image` parts.
// parse_json_images() / multipart_images() are pure functions over untrusted bytes (the
// fuzz harness fuzz/serve_body_fuzz.cpp drives them); they throw BodyError carrying the
// HTTP status to answer.
//
// Thread safety: every function here is reentrant and keeps no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emonet::serve {

// A malformed request body: `status` is the HTTP status to answer (400, 413, 415).
struct BodyError : std::runtime_error {
  BodyError(int status_, const std::string& what) : std::runtime_error(what), status(status_) {}
  int status;
};

// Standard base64 (RFC 4648, padding optional, no whitespace); throws BodyError(400).
std::vector<std::uint8_t> base64_decode(std::string_view text);

// {"images": ["<base64>", ...]} -> the decoded image bytes; throws BodyError(400).
std::vector<std::vector<std::uint8_t>> parse_json_images(std::string_view body);

// A multipart/form-data body with its Content-Type header: the bytes of every part named
// "image", in order; throws BodyError(400) for a missing boundary or a malformed body.
std::vector<std::vector<std::uint8_t>> multipart_images(std::string_view body,
                                                        std::string_view content_type);

}  // namespace emonet::serve
