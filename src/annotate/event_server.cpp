#include "annotate/event_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "annotate/http_reader.h"
#include "emonet/error.h"

namespace emonet::annotate::http {

namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// epoll tags of the two sockets that are not connections.
char listen_tag, wake_tag;

enum class Phase : int { reading, handling, writing, closing };

std::string peer_address(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text, sizeof text);
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace

struct EventServer::Connection {
  Connection(int socket, std::string peer, const EventServerOptions& o)
      : fd(socket), remote(std::move(peer)), reader(o.max_body, o.max_header) {}
  int fd;
  std::string remote;
  RequestReader reader;
  std::string in;   // received bytes the reader has not used yet
  std::string out;  // the response being sent
  std::size_t out_pos = 0;
  bool keep_alive = true;    // of the request being answered
  bool close_after = false;  // close once `out` is sent
  bool peer_closed = false;  // the client shut down its side (answer what came, then close)
  std::atomic<Phase> phase{Phase::reading};
  // Time-outs (steady ms), written by the owner before it hands the connection to epoll.
  std::int64_t idle_since = 0, request_started = 0, write_started = 0;
};

EventServer::EventServer(EventServerOptions options) : options_(std::move(options)) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    throw Error(std::string("cannot create the server's event loop: ") + std::strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wake_tag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

EventServer::~EventServer() {
  stop();
  for (auto& [ptr, c] : connections_) ::close(c->fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

int EventServer::bind(const std::string& host, int port) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    throw Error("cannot listen on " + where + ": " + ::gai_strerror(rc));
  }
  std::string why = "no address";
  for (addrinfo* a = found; a != nullptr && listen_fd_ < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // A deep accept queue: 200 experts (re)connecting at once must not lose handshakes.
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      listen_fd_ = fd;
    } else {
      why = std::strerror(errno);
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0) throw Error("cannot listen on " + where + " (" + why + ")");
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &listen_tag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  return ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(addr).sin6_port
                                          : reinterpret_cast<sockaddr_in&>(addr).sin_port);
}

void EventServer::stop() {
  stopping_ = true;
  wake();
}

void EventServer::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

EventServerStats EventServer::stats() const {
  return {accepted_.load(), requests_.load(), timeouts_.load(), open_.load()};
}

void EventServer::run() {
  if (listen_fd_ < 0) throw Error("the server must bind() before run()");
  for (int i = 0; i < std::max(1, options_.workers); ++i)
    workers_.emplace_back([this] { worker(); });
  loop();
  {
    std::lock_guard lock(mu_);
    done_ = true;
    jobs_.clear();  // not started: their clients see the connection close, nothing was done
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  for (auto& [ptr, c] : connections_) ::close(c->fd);
  connections_.clear();
  closing_.clear();
  open_ = 0;
  ::close(listen_fd_);
  listen_fd_ = -1;
}

void EventServer::loop() {
  epoll_event events[256];
  std::int64_t next_scan = steady_ms() + 250;
  bool accept_paused = false;
  while (!stopping_) {
    const int n = ::epoll_wait(epoll_fd_, events, 256, 250);
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &wake_tag) {
        std::uint64_t count;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_, &count, sizeof count);
      } else if (tag == &listen_tag) {
        accept_all();
        if (errno == EMFILE || errno == ENFILE) {
          // Out of descriptors: stop listening for a moment rather than spin on accept.
          epoll_event ev{};
          ev.data.ptr = &listen_tag;
          ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
          accept_paused = true;
        }
      } else {
        auto* c = static_cast<Connection*>(tag);
        const Phase phase = c->phase.load(std::memory_order_acquire);
        if (phase == Phase::reading) on_readable(*c);
        if (phase == Phase::writing) on_writable(*c);
      }
    }
    std::vector<Connection*> closing;
    {
      std::lock_guard lock(mu_);
      closing.swap(closing_);
    }
    for (Connection* c : closing) close_now(*c);
    const std::int64_t now = steady_ms();
    if (now >= next_scan) {
      expire_idle(now);
      next_scan = now + 250;
      if (accept_paused) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &listen_tag;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
        accept_paused = false;
      }
    }
  }
}

void EventServer::accept_all() {
  for (;;) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN: all taken; EMFILE/ENFILE: the loop pauses accepting
    }
    if (connections_.size() >= options_.max_connections) {
      ::close(fd);
      continue;
    }
    // Without TCP_NODELAY a response written in two segments waits for the client's
    // delayed ACK (up to 40 ms on Linux).
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    auto c = std::make_unique<Connection>(fd, peer_address(addr), options_);
    c->idle_since = steady_ms();
    Connection& ref = *c;
    connections_.emplace(c.get(), std::move(c));
    ++accepted_;
    ++open_;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
    ev.data.ptr = &ref;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) close_now(ref);
  }
}

void EventServer::hand_to_loop(Connection& c, int phase, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.ptr = &c;
  std::lock_guard lock(mu_);
  // The phase first: the event may fire on the loop thread before epoll_ctl returns, and
  // an event for a connection in another phase is ignored there.
  c.phase.store(static_cast<Phase>(phase), std::memory_order_release);
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev) != 0) {
    c.phase.store(Phase::closing, std::memory_order_release);
    closing_.push_back(&c);
  }
}

void EventServer::release(Connection& c) {
  c.phase.store(Phase::closing, std::memory_order_release);
  {
    std::lock_guard lock(mu_);
    closing_.push_back(&c);
  }
  wake();
}

void EventServer::close_now(Connection& c) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  ::close(c.fd);
  --open_;
  connections_.erase(&c);
}

void EventServer::on_readable(Connection& c) {
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < sizeof buf) break;
      // Bounded: the reader rejects a header over its limit, so don't buffer without end.
      if (c.in.size() > options_.max_header + sizeof buf) break;
      continue;
    }
    if (n == 0) {
      c.peer_closed = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    close_now(c);  // reset by the peer
    return;
  }
  Request req;
  if (next_request(c, req)) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back({&c, std::move(req)});
    }
    work_cv_.notify_one();
  }
}

bool EventServer::next_request(Connection& c, Request& out) {
  switch (c.reader.feed(c.in)) {
    case RequestReader::State::done:
      out = c.reader.take(c.remote);
      c.keep_alive = c.reader.keep_alive() && !c.peer_closed;
      c.request_started = 0;
      c.phase.store(Phase::handling, std::memory_order_release);
      return true;
    case RequestReader::State::error: {
      Request none;
      Response res;
      res.status = c.reader.error_status();
      res.set_content(nlohmann::json{{"error", c.reader.error_message()}}.dump(),
                      "application/json");
      c.phase.store(Phase::handling, std::memory_order_release);
      respond(c, serialize(none, res, false), false);
      return false;
    }
    case RequestReader::State::need_more:
      break;
  }
  if (c.peer_closed) {
    release(c);
    return false;
  }
  if (c.reader.wants_continue()) {
    static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    [[maybe_unused]] ssize_t n = ::send(c.fd, kContinue, sizeof kContinue - 1, MSG_NOSIGNAL);
    c.reader.continue_sent();
  }
  if ((c.reader.in_request() || !c.in.empty()) && c.request_started == 0) {
    c.request_started = steady_ms();
  }
  hand_to_loop(c, static_cast<int>(Phase::reading), EPOLLIN);
  return false;
}

void EventServer::worker() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return done_ || !jobs_.empty(); });
      if (done_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Connection& c = *job.conn;
    Request req = std::move(job.request);
    // Pipelined requests of this connection are answered here, in order.
    for (;;) {
      Response res = handle(req);
      const bool keep_alive = c.keep_alive && !stopping_;  // a stopping server says so
      if (!respond(c, serialize(req, res, keep_alive), keep_alive)) break;
      if (!next_request(c, req)) break;
    }
  }
}

Response EventServer::handle(Request& req) {
  Response res;
  try {
    if (!pre_routing_ || pre_routing_(req, res) == PreRouting::unhandled) {
      if (!router_.dispatch(req, res)) res.status = 404;
    }
  } catch (...) {
    res = Response{};
    res.status = 500;
  }
  if (res.status == -1) res.status = 200;
  if (res.status >= 400 && res.body.empty() && error_handler_) error_handler_(req, res);
  if (logger_) logger_(req, res);
  return res;
}

std::string EventServer::serialize(const Request& req, const Response& res, bool keep_alive) const {
  std::string out;
  out.reserve(256 + res.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  out += reason_phrase(res.status);
  out += "\r\n";
  auto header = [&out](const std::string& name, const std::string& value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  };
  for (const auto& [name, value] : options_.default_headers) {
    if (!res.has_header(name)) header(name, value);
  }
  for (const auto& [name, value] : res.headers) header(name, value);
  const bool no_body = res.status == 204 || res.status == 304 || res.status < 200;
  if (!no_body) header("Content-Length", std::to_string(res.body.size()));
  header("Connection", keep_alive ? "keep-alive" : "close");
  out += "\r\n";
  if (!no_body && req.method != "HEAD") out += res.body;
  return out;
}

namespace {
// Sends what it can without blocking; false when the connection failed.
bool send_pending(int fd, const std::string& out, std::size_t& pos) {
  while (pos < out.size()) {
    const ssize_t n = ::send(fd, out.data() + pos, out.size() - pos, MSG_NOSIGNAL);
    if (n > 0) {
      pos += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
  }
  return true;
}
}  // namespace

bool EventServer::respond(Connection& c, std::string bytes, bool keep_alive) {
  ++requests_;
  c.close_after = !keep_alive;
  c.out = std::move(bytes);
  c.out_pos = 0;
  if (!send_pending(c.fd, c.out, c.out_pos)) {
    release(c);
    return false;
  }
  if (c.out_pos < c.out.size()) {
    c.write_started = steady_ms();
    hand_to_loop(c, static_cast<int>(Phase::writing), EPOLLOUT);
    return false;
  }
  return after_response(c);
}

bool EventServer::after_response(Connection& c) {
  c.out.clear();
  if (c.close_after) {
    release(c);
    return false;
  }
  c.idle_since = steady_ms();
  return true;
}

void EventServer::on_writable(Connection& c) {
  if (!send_pending(c.fd, c.out, c.out_pos)) {
    release(c);
    return;
  }
  if (c.out_pos < c.out.size()) {
    hand_to_loop(c, static_cast<int>(Phase::writing), EPOLLOUT);
    return;
  }
  Request req;
  if (after_response(c) && next_request(c, req)) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back({&c, std::move(req)});
    }
    work_cv_.notify_one();
  }
}

void EventServer::expire_idle(std::int64_t now) {
  std::vector<Connection*> expired;
  std::unique_lock lock(mu_);  // no hand-over in progress while phases are read
  for (auto& [ptr, c] : connections_) {
    const Phase phase = c->phase.load(std::memory_order_acquire);
    if (phase == Phase::writing) {
      if (now - c->write_started > options_.write_timeout_s * 1000LL) expired.push_back(ptr);
    } else if (phase == Phase::reading) {
      if (c->request_started != 0) {
        if (now - c->request_started > options_.read_timeout_s * 1000LL) {
          static const char k408[] =
              "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
          [[maybe_unused]] ssize_t n = ::send(c->fd, k408, sizeof k408 - 1, MSG_NOSIGNAL);
          expired.push_back(ptr);
        }
      } else if (now - c->idle_since > options_.keep_alive_timeout_s * 1000LL) {
        expired.push_back(ptr);
      }
    }
  }
  lock.unlock();
  timeouts_ += expired.size();
  for (Connection* c : expired) close_now(*c);
}

}  // namespace emonet::annotate::http
