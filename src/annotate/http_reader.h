// Incremental HTTP/1.1 request reader of the annotation server: bytes from a socket in,
// complete requests out. Boost.Beast's parser does the protocol (request line, header
// syntax, Content-Length and chunked bodies, limits); this class turns its messages into
// http::Request (decoded path, query and form fields) and its failures into the status a
// client should get (400, 413, 431, 505).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "annotate/http_message.h"

namespace emonet::annotate::http {

class RequestReader {
 public:
  enum class State { need_more, done, error };

  RequestReader(std::size_t max_body, std::size_t max_header = 16 * 1024);
  ~RequestReader();
  RequestReader(RequestReader&&) noexcept;
  RequestReader& operator=(RequestReader&&) noexcept;

  // Parses from the front of `in`, erasing the bytes it used; bytes of a following
  // (pipelined) request stay in `in`. After `done`, take() the request; after `error`
  // the connection cannot be read further.
  State feed(std::string& in);
  // True once the header of a request is in and it asked for "Expect: 100-continue"
  // (until continue_sent()): the client waits for an interim 100 before the body.
  bool wants_continue() const;
  void continue_sent();
  // Whether any byte of the next request has arrived (a partial request is held to the
  // read timeout, an idle connection to the keep-alive timeout).
  bool in_request() const { return started_; }

  // The finished request; the reader is then ready for the next one.
  Request take(const std::string& remote_addr);
  bool keep_alive() const { return keep_alive_; }  // of the request take() returned last

  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }

 private:
  struct Impl;
  void reset();
  State fail(int status, std::string message);
  std::unique_ptr<Impl> impl_;
  std::size_t max_body_, max_header_;
  bool started_ = false, continue_answered_ = false, keep_alive_ = true;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace emonet::annotate::http
