#include "annotate/page_layout.h"

#include <cstdint>
#include <cstdio>

#include "annotate/web_assets.h"

namespace emonet::annotate {
namespace {

// FNV-1a: a stable fingerprint of an asset for cache-busting URLs (not security).
std::string fingerprint(std::string_view bytes) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

std::string_view content_type(std::string_view name) {
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

bool is_public_asset(std::string_view name) {
  return name.ends_with(".css") || name.ends_with(".js") || name.ends_with(".svg");
}

void add_security_headers(http::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                 "connect-src 'self'; form-action 'self'; base-uri 'none'; "
                 "frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "same-origin");
}

}  // namespace

std::string json_for_script(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    // Outside strings JSON never contains these characters, so escaping them everywhere
    // keeps the document valid JSON.
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out;
}

std::string asset_url(std::string_view name) {
  const WebAsset* asset = find_web_asset(name);
  std::string url = "/static/" + std::string(name);
  if (asset != nullptr) url += "?v=" + fingerprint(asset->bytes);
  return url;
}

std::string render_page(const PageSpec& spec, const std::optional<Session>& session) {
  Html header;
  std::string csrf;
  if (session) {
    csrf = session->csrf_token;
    Html admin_link;
    if (session->user.is_admin()) admin_link = Html::markup("<a href=\"/admin\">Admin</a>");
    header = render_template(
        "header.html",
        {{"admin_link", admin_link}, {"user_name", session->user.name}, {"csrf", csrf}});
  }
  nlohmann::json data = spec.data;
  data["page"] = spec.page;
  Html page_data = Html::markup("<script type=\"application/json\" id=\"page-data\">");
  page_data.append_markup(json_for_script(data));
  page_data.append_markup("</script>");
  Html scripts;
  if (spec.admin_script) {
    scripts.append_markup("<script src=\"")
        .append_text(asset_url("admin.js"))
        .append_markup("\" defer></script>");
  }
  return render_template("layout.html", {{"csrf", csrf},
                                         {"title", spec.title},
                                         {"css_url", asset_url("app.css")},
                                         {"js_url", asset_url("app.js")},
                                         {"body_class", "page-" + spec.page},
                                         {"header", header},
                                         {"main_class", spec.main_class},
                                         {"content", spec.content},
                                         {"page_data", page_data},
                                         {"scripts", scripts}})
      .str();
}

void send_html(http::Response& res, const std::string& html, int status) {
  res.status = status;
  add_security_headers(res);
  res.set_header("Cache-Control", "no-store");
  res.set_content(html, "text/html; charset=utf-8");
}

void register_static_assets(http::Router& server) {
  server.Get(R"(/static/([A-Za-z0-9_.-]+))", [](const http::Request& req, http::Response& res) {
    const std::string name = req.matches[1];
    const WebAsset* asset = find_web_asset(name);
    if (asset == nullptr || !is_public_asset(name)) {
      res.status = 404;
      res.set_content(R"({"error": "no such file"})", "application/json");
      return;
    }
    add_security_headers(res);
    const std::string tag = fingerprint(asset->bytes);
    res.set_header("ETag", "\"" + tag + "\"");
    // A fingerprinted URL never changes content, so it may be cached for a year.
    res.set_header("Cache-Control", req.get_param_value("v") == tag
                                        ? "public, max-age=31536000, immutable"
                                        : "no-cache");
    if (req.get_header_value("If-None-Match") == "\"" + tag + "\"") {
      res.status = 304;
      return;
    }
    res.set_content(std::string(asset->bytes), std::string(content_type(name)));
  });
}

}  // namespace emonet::annotate
