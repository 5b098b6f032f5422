#include "annotate/http_reader.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

#include "emonet/strings.h"

namespace emonet::annotate::http {

namespace beast_http = boost::beast::http;

struct RequestReader::Impl {
  std::optional<beast_http::request_parser<beast_http::string_body>> parser;
};

namespace {
std::string str(boost::beast::string_view s) {
  return std::string(s.data(), s.size());
}
}  // namespace

RequestReader::RequestReader(std::size_t max_body, std::size_t max_header)
    : impl_(std::make_unique<Impl>()), max_body_(max_body), max_header_(max_header) {
  reset();
}
RequestReader::~RequestReader() = default;
RequestReader::RequestReader(RequestReader&&) noexcept = default;
RequestReader& RequestReader::operator=(RequestReader&&) noexcept = default;

void RequestReader::reset() {
  auto& p = impl_->parser.emplace();
  // Beast's own header limit is only a backstop: where exactly it trips depends on how
  // the bytes arrive (a header a few bytes over it passes when it comes in one piece and
  // fails when it comes in pieces; found by fuzz/http_request_fuzz.cpp), so feed()
  // applies max_header_ itself, to the header's bytes alone.
  p.header_limit(static_cast<std::uint32_t>(max_header_ + 1024));
  p.body_limit(static_cast<std::uint64_t>(max_body_));
  p.eager(true);  // take as much of the body as has arrived in one put()
  started_ = false;
  continue_answered_ = false;
}

RequestReader::State RequestReader::fail(int status, std::string message) {
  error_status_ = status;
  error_message_ = std::move(message);
  return State::error;
}

RequestReader::State RequestReader::feed(std::string& in) {
  if (error_status_ != 0) return State::error;
  auto& p = *impl_->parser;
  if (p.is_done()) return State::done;
  // Blank lines before a request line are tolerated (RFC 9112, section 2.2).
  if (!started_) {
    std::size_t skip = 0;
    while (skip < in.size() && (in[skip] == '\r' || in[skip] == '\n')) ++skip;
    in.erase(0, skip);
    if (in.empty()) return State::need_more;
    started_ = true;
  }
  while (!in.empty() && !p.is_done()) {
    if (!p.is_header_done()) {
      const std::size_t end = in.find("\r\n\r\n");
      if (end == std::string::npos ? in.size() > max_header_ : end + 4 > max_header_) {
        return fail(431, "request header too large");
      }
    }
    boost::beast::error_code ec;
    const std::size_t used = p.put(boost::asio::buffer(in.data(), in.size()), ec);
    in.erase(0, used);
    if (ec == beast_http::error::need_more) return State::need_more;
    if (ec == beast_http::error::body_limit) return fail(413, "request body too large");
    if (ec == beast_http::error::header_limit) return fail(431, "request header too large");
    if (ec) return fail(400, "malformed request: " + ec.message());
    if (used == 0) break;
  }
  if (!p.is_done()) return State::need_more;
  const auto& msg = p.get();
  if (msg.version() != 11 && msg.version() != 10) return fail(505, "HTTP version not supported");
  const boost::beast::string_view target = msg.target();
  if (target.empty() || target[0] != '/') {
    return fail(400, "request target must be a path starting with '/'");
  }
  return State::done;
}

bool RequestReader::wants_continue() const {
  const auto& p = *impl_->parser;
  if (continue_answered_ || !p.is_header_done() || p.is_done()) return false;
  const auto& msg = p.get();
  return msg.version() == 11 && to_lower(str(msg[beast_http::field::expect])) == "100-continue";
}

void RequestReader::continue_sent() {
  continue_answered_ = true;
}

Request RequestReader::take(const std::string& remote_addr) {
  auto& msg = impl_->parser->get();
  Request req;
  req.method = str(msg.method_string());
  req.target = str(msg.target());
  const std::size_t q = req.target.find('?');
  req.path = percent_decode(std::string_view(req.target).substr(0, q), false);
  if (q != std::string::npos) parse_query(std::string_view(req.target).substr(q + 1), req.params);
  for (const auto& field : msg) req.headers.emplace(str(field.name_string()), str(field.value()));
  req.body = std::move(msg.body());
  if (starts_with(to_lower(req.get_header_value("Content-Type")),
                  "application/x-www-form-urlencoded")) {
    parse_query(req.body, req.params);
  }
  req.remote_addr = remote_addr;
  keep_alive_ = msg.keep_alive();
  reset();
  return req;
}

}  // namespace emonet::annotate::http
