#include "annotate/http_router.h"

namespace emonet::annotate::http {

void Router::Get(const std::string& pattern, Handler handler) {
  add("GET", pattern, std::move(handler));
}
void Router::Post(const std::string& pattern, Handler handler) {
  add("POST", pattern, std::move(handler));
}

void Router::add(std::string method, const std::string& pattern, Handler handler) {
  // Most paths fail a route on its literal start; comparing that first skips the regex
  // engine for them (two dozen routes are tried for every request).
  const std::size_t special = pattern.find_first_of(R"(\^$.|?*+()[]{})");
  routes_.push_back(
      {std::move(method), pattern.substr(0, special), std::regex(pattern), std::move(handler)});
}

bool Router::dispatch(Request& req, Response& res) const {
  const std::string_view method =
      req.method == "HEAD" ? std::string_view("GET") : std::string_view(req.method);
  for (const Route& route : routes_) {
    if (route.method != method) continue;
    if (req.path.compare(0, route.literal_prefix.size(), route.literal_prefix) != 0) continue;
    if (!std::regex_match(req.path, req.matches, route.pattern)) continue;
    route.handler(req, res);
    return true;
  }
  return false;
}

}  // namespace emonet::annotate::http
