// Request bodies of /v1/predict and /v1/embed: JSON with base64 images and
// multipart/form-data, parsed without trusting a byte of them.
#include <cctype>
#include <nlohmann/json.hpp>

#include "emonet/serve.h"

namespace emonet::serve {

std::vector<std::uint8_t> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) throw BodyError(400, "base64 text has an impossible length");
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int v = value(text[i]);
    if (v < 0) throw BodyError(400, "invalid base64 character at offset " + std::to_string(i));
    acc = (acc << 6) | std::uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(std::uint8_t((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::vector<std::vector<std::uint8_t>> parse_json_images(std::string_view body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) throw BodyError(400, "request body is not valid JSON");
  if (!j.is_object() || !j.contains("images") || !j["images"].is_array())
    throw BodyError(400, "JSON body must be an object with an \"images\" array");
  if (j["images"].empty()) throw BodyError(400, "\"images\" is empty");
  std::vector<std::vector<std::uint8_t>> out;
  for (std::size_t i = 0; i < j["images"].size(); ++i) {
    const auto& v = j["images"][i];
    if (!v.is_string()) throw BodyError(400, "images[" + std::to_string(i) + "] is not a string");
    try {
      out.push_back(base64_decode(v.get_ref<const std::string&>()));
    } catch (const BodyError& e) {
      throw BodyError(400, "images[" + std::to_string(i) + "]: " + e.what());
    }
  }
  return out;
}

namespace {

// The value of `key=` in a header such as Content-Type or Content-Disposition.
std::string header_param(std::string_view header, std::string_view key) {
  std::size_t pos = 0;
  while ((pos = header.find(key, pos)) != std::string_view::npos) {
    const bool starts = pos == 0 || header[pos - 1] == ';' || header[pos - 1] == ' ';
    pos += key.size();
    if (!starts || pos >= header.size() || header[pos] != '=') continue;
    ++pos;
    if (pos < header.size() && header[pos] == '"') {
      const auto end = header.find('"', pos + 1);
      if (end == std::string_view::npos) return {};
      return std::string(header.substr(pos + 1, end - pos - 1));
    }
    const auto end = header.find(';', pos);
    return std::string(header.substr(pos, end == std::string_view::npos ? end : end - pos));
  }
  return {};
}

}  // namespace

std::vector<std::vector<std::uint8_t>> multipart_images(std::string_view body,
                                                        std::string_view content_type) {
  const std::string boundary = header_param(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200)
    throw BodyError(400, "multipart Content-Type has no usable boundary");
  const std::string delim = "--" + boundary;
  std::size_t pos = body.find(delim);
  if (pos == std::string_view::npos) throw BodyError(400, "multipart body has no boundary line");
  std::vector<std::vector<std::uint8_t>> out;
  for (;;) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") break;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") throw BodyError(400, "malformed multipart boundary line");
    pos += 2;
    const auto head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos)
      throw BodyError(400, "multipart part has no headers end");
    const std::string_view headers = body.substr(pos, head_end - pos);
    const auto data_begin = head_end + 4;
    const auto next = body.find("\r\n" + delim, data_begin);
    if (next == std::string_view::npos) throw BodyError(400, "multipart body is truncated");
    std::string name;
    std::size_t line = 0;
    while (line <= headers.size()) {
      auto eol = headers.find("\r\n", line);
      if (eol == std::string_view::npos) eol = headers.size();
      const auto h = headers.substr(line, eol - line);
      constexpr std::string_view cd = "content-disposition:";
      if (h.size() >= cd.size()) {
        std::string lower(h.substr(0, cd.size()));
        for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
        if (lower == cd) name = header_param(h.substr(cd.size()), "name");
      }
      line = eol + 2;
    }
    if (name == "image") {
      const auto data = body.substr(data_begin, next - data_begin);
      out.emplace_back(data.begin(), data.end());
    }
    pos = next + 2;
  }
  if (out.empty()) throw BodyError(400, "multipart body has no part named \"image\"");
  return out;
}

}  // namespace emonet::serve
