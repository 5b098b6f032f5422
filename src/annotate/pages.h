// Server-rendered pages of `emonet annotate serve` (login, project list, annotation
// screens, admin screens). They sit on top of the JSON API (docs/annotate-api.md): the
// server registers the API routes first, then calls register_pages() to add the HTML
// routes and static assets. Handlers use only AppContext's accessors.
#pragma once

namespace emonet::annotate::http {
class Router;
}

namespace emonet::annotate {

class AppContext;

void register_pages(http::Router& server, AppContext& ctx);

}  // namespace emonet::annotate
