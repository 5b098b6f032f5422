#include "annotate/http_message.h"

#include <strings.h>

namespace emonet::annotate::http {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return ::strcasecmp(a.c_str(), b.c_str()) < 0;
}

bool Request::has_header(const std::string& name) const {
  return headers.find(name) != headers.end();
}

std::string Request::get_header_value(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

bool Request::has_param(const std::string& name) const {
  return params.find(name) != params.end();
}

std::string Request::get_param_value(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

namespace {
bool has_line_break(const std::string& s) {
  return s.find_first_of("\r\n") != std::string::npos;
}
}  // namespace

void Response::set_header(const std::string& name, const std::string& value) {
  if (has_line_break(name) || has_line_break(value)) return;
  headers.emplace_back(name, value);
}

bool Response::has_header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (::strcasecmp(k.c_str(), name.c_str()) == 0) return true;
  }
  return false;
}

void Response::set_content(std::string content, const std::string& content_type) {
  body = std::move(content);
  for (auto it = headers.begin(); it != headers.end();) {
    it = ::strcasecmp(it->first.c_str(), "Content-Type") == 0 ? headers.erase(it) : it + 1;
  }
  set_header("Content-Type", content_type);
}

void Response::set_redirect(const std::string& location, int code) {
  set_header("Location", location);
  status = (code >= 300 && code < 400) ? code : 302;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

void parse_query(std::string_view text, Params& out) {
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('&', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view field = text.substr(pos, end - pos);
    if (!field.empty()) {
      const std::size_t eq = field.find('=');
      const std::string_view key = field.substr(0, eq);
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view() : field.substr(eq + 1);
      out.emplace(percent_decode(key, true), percent_decode(value, true));
    }
    pos = end + 1;
  }
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return status < 300 ? "OK" : status < 400 ? "Redirect" : "Error";
  }
}

}  // namespace emonet::annotate::http
