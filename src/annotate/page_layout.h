// The frame every server-rendered page of the annotation UI shares: the HTML skeleton
// (layout.html), the top bar for signed-in users, the page's JSON data block for its
// script, fingerprinted URLs of the embedded CSS/JS, and the security headers.
//
// Pure functions over their arguments; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "annotate/html.h"
#include "annotate/http_router.h"
#include "annotate/types.h"

namespace emonet::annotate {

struct PageSpec {
  std::string title;
  std::string page;        // page kind for app.js ("intensity", "admin", ...)
  std::string main_class;  // "narrow" for text pages, "" for the workspaces
  Html content;            // the page body, already rendered
  nlohmann::json data = nlohmann::json::object();  // handed to app.js as PAGE
  bool admin_script = false;                       // also load admin.js
};

// The whole document. `session` is empty on the login page (no top bar, no CSRF token).
std::string render_page(const PageSpec& spec, const std::optional<Session>& session);

// JSON that is safe inside <script type="application/json">: '<', '>' and '&' are written
// as \u escapes so no value can close the element or open a comment.
std::string json_for_script(const nlohmann::json& value);

// "/static/<name>?v=<content hash>", so browsers may cache assets forever.
std::string asset_url(std::string_view name);

// Sends an HTML page with the UI's security headers (CSP without inline script, no
// framing, no sniffing, no caching of personal pages).
void send_html(http::Response& res, const std::string& html, int status = 200);

// Adds the static-asset route GET /static/<name>.
void register_static_assets(http::Router& server);

}  // namespace emonet::annotate
