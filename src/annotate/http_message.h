// The request and response of the annotation server's own HTTP layer (event_server.h):
// what a route handler reads and fills in. Header names compare case-insensitively;
// query and urlencoded form fields are decoded into `params` before routing.
#pragma once

#include <functional>
#include <map>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emonet::annotate::http {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;
using Params = std::multimap<std::string, std::string>;

struct Request {
  std::string method;  // "GET", "POST", ... (HEAD is routed as GET)
  std::string target;  // as sent: path and query
  std::string path;    // percent-decoded, without the query
  Headers headers;
  Params params;  // query fields, then urlencoded form fields of the body
  std::string body;
  std::string remote_addr;
  std::smatch matches;  // the route pattern's groups, matched against `path`

  bool has_header(const std::string& name) const;
  // The first value of the header, or "" when absent.
  std::string get_header_value(const std::string& name) const;
  bool has_param(const std::string& name) const;
  std::string get_param_value(const std::string& name) const;
};

struct Response {
  int status = -1;  // -1 until a handler sets it; sent as 200 when the handler leaves it
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Values with CR or LF are dropped (no response splitting from data in a header).
  void set_header(const std::string& name, const std::string& value);
  bool has_header(const std::string& name) const;
  void set_content(std::string content, const std::string& content_type);
  void set_redirect(const std::string& location, int status = 302);
};

using Handler = std::function<void(const Request&, Response&)>;

// Percent-decoding (`plus_is_space`: '+' means ' ', as in query strings and forms).
// Malformed escapes are kept as they are.
std::string percent_decode(std::string_view text, bool plus_is_space);
// Adds the fields of "a=1&b=two" to `out` (decoded; a field without '=' has value "").
void parse_query(std::string_view text, Params& out);

const char* reason_phrase(int status);

}  // namespace emonet::annotate::http
