// Routes of the annotation server: method + path pattern (std::regex, matched against the
// whole decoded path, groups in Request::matches) → handler. HEAD runs the GET route.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "annotate/http_message.h"

namespace emonet::annotate::http {

class Router {
 public:
  void Get(const std::string& pattern, Handler handler);
  void Post(const std::string& pattern, Handler handler);
  // Runs the first route whose method and pattern match `req`; false when none does.
  bool dispatch(Request& req, Response& res) const;

 private:
  struct Route {
    std::string method;
    std::string literal_prefix;  // the pattern's text before its first special character
    std::regex pattern;
    Handler handler;
  };
  void add(std::string method, const std::string& pattern, Handler handler);
  std::vector<Route> routes_;
};

}  // namespace emonet::annotate::http
