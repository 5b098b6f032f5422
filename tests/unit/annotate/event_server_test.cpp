// The annotation server's HTTP transport (annotate/event_server.h) on loopback: raw
// sockets for what a browser or a hostile client may send (split, pipelined, oversized,
// malformed, slow, half-closed), and cpp-httplib's client as an independent HTTP
// implementation. Every server here is a real one on 127.0.0.1, stopped by the test.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "annotate/event_server.h"
#include "emonet/error.h"

namespace emonet::annotate::http {
namespace {

using namespace std::chrono_literals;

// A server with a few routes, run on its own thread for the test's lifetime.
class Running {
 public:
  explicit Running(EventServerOptions o = {}) : server_(std::move(o)) {
    Router& r = server_.router();
    r.Get("/hello", [](const Request&, Response& res) { res.set_content("hi", "text/plain"); });
    r.Get(R"(/items/(\d+))", [](const Request& req, Response& res) {
      res.set_content("item " + req.matches[1].str() + " q=" + req.get_param_value("q"),
                      "text/plain");
    });
    r.Post("/echo", [](const Request& req, Response& res) {
      res.set_content(req.body + "|" + req.get_param_value("a"), "text/plain");
    });
    r.Get("/slow", [this](const Request&, Response& res) {
      entered_ = true;
      while (!release_slow_) std::this_thread::sleep_for(1ms);
      res.set_content("slow", "text/plain");
    });
    r.Get("/throws", [](const Request&, Response&) { throw std::runtime_error("boom"); });
    server_.set_error_handler([](const Request&, Response& res) {
      res.set_content("{\"error\": " + std::to_string(res.status) + "}", "application/json");
    });
    port_ = server_.bind("127.0.0.1", 0);
    thread_ = std::thread([this] { server_.run(); });
  }
  ~Running() {
    release_slow_ = true;
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  EventServer& server() { return server_; }
  std::atomic<bool> entered_{false}, release_slow_{false};

 private:
  EventServer server_;
  int port_ = 0;
  std::thread thread_;
};

// A raw TCP client: sends bytes as given, reads what comes back.
class Socket {
 public:
  explicit Socket(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~Socket() { ::close(fd_); }
  void send(const std::string& s) {
    ASSERT_EQ(::send(fd_, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  // Reads until `needle` has arrived `count` times, the peer closes, or `timeout` passes.
  std::string read_until(const std::string& needle, int count = 1,
                         std::chrono::milliseconds timeout = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (occurrences(needle) < count && !closed_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      got_.append(buf, static_cast<std::size_t>(n));
    }
    return got_;
  }
  // Whether the server closed the connection within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout) {
    read_until("\x01never\x02", 1, timeout);
    return closed_;
  }
  std::string got() const { return got_; }

  int occurrences(const std::string& needle) const {
    int n = 0;
    for (std::size_t p = got_.find(needle); p != std::string::npos;
         p = got_.find(needle, p + needle.size()))
      ++n;
    return n;
  }

 private:
  int fd_ = -1;
  std::string got_;
  bool closed_ = false;
};

TEST(EventServer, ServesKeepAliveRequestsOnOneConnection) {
  Running s;
  httplib::Client client("127.0.0.1", s.port());
  client.set_keep_alive(true);
  client.set_url_encode(false);  // send the query as written
  for (int i = 0; i < 50; ++i) {
    auto r = client.Get("/items/" + std::to_string(i) + "?q=a%20b+c");
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "item " + std::to_string(i) + " q=a b c");
  }
  auto missing = client.Get("/nothing-here");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, "{\"error\": 404}");
  auto thrown = client.Get("/throws");
  ASSERT_TRUE(thrown);
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(s.server().stats().accepted, 1u);
  EXPECT_EQ(s.server().stats().requests, 52u);
}

TEST(EventServer, ManyMoreConnectionsThanWorkersAreAllServed) {
  EventServerOptions o;
  o.workers = 2;
  Running s(o);
  // Thread-per-connection servers with two threads would serve two of these and starve
  // the rest until those two closed.
  std::vector<std::unique_ptr<Socket>> conns;
  for (int i = 0; i < 300; ++i) conns.push_back(std::make_unique<Socket>(s.port()));
  for (int round = 0; round < 2; ++round) {
    for (auto& c : conns) c->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    for (auto& c : conns) {
      EXPECT_EQ(c->read_until("\r\n\r\nhi", round + 1).size() > 0, true);
    }
  }
  int answered = 0;
  for (auto& c : conns) {
    const std::string got = c->got();
    std::size_t n = 0;
    for (std::size_t p = got.find("HTTP/1.1 200 OK"); p != std::string::npos;
         p = got.find("HTTP/1.1 200 OK", p + 1))
      ++n;
    answered += static_cast<int>(n);
  }
  EXPECT_EQ(answered, 600);
  EXPECT_EQ(s.server().stats().open, 300u);
}

TEST(EventServer, BackToBackRequestsOnManyConnectionsNeverStall) {
  // Each client sends its next request the moment the answer is in, which races the
  // worker handing the connection back to the event loop; a lost wake-up there leaves a
  // request unanswered (here: until read_until gives up).
  EventServerOptions o;
  o.workers = 4;
  o.keep_alive_timeout_s = 60;
  Running s(o);
  std::vector<std::thread> clients;
  std::atomic<int> answered{0};
  for (int k = 0; k < 16; ++k) {
    clients.emplace_back([&] {
      Socket c(s.port());
      for (int i = 1; i <= 1000; ++i) {
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        c.read_until("\r\n\r\nhi", i, 5000ms);
        if (c.occurrences("\r\n\r\nhi") < i) return;
      }
      answered += 1000;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(answered.load(), 16000);
  EXPECT_EQ(s.server().stats().requests, 16000u);
}

TEST(EventServer, ABlockedHandlerDoesNotHoldUpOtherConnections) {
  EventServerOptions o;
  o.workers = 2;
  Running s(o);
  Socket slow(s.port());
  slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  while (!s.entered_) std::this_thread::sleep_for(1ms);
  Socket fast(s.port());
  fast.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(fast.read_until("hi").find("200 OK"), std::string::npos);
  EXPECT_EQ(slow.got(), "");
  s.release_slow_ = true;
  EXPECT_NE(slow.read_until("slow").find("200 OK"), std::string::npos);
}

TEST(EventServer, PipelinedAndByteByByteRequestsAreAnsweredInOrder) {
  Running s;
  Socket c(s.port());
  c.send(
      "GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /echo?a=q HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  const std::string got = c.read_until("HTTP/1.1 200", 3);
  const std::size_t one = got.find("item 1"), two = got.find("item 2"), three = got.find("abc|q");
  ASSERT_NE(one, std::string::npos);
  ASSERT_NE(two, std::string::npos);
  ASSERT_NE(three, std::string::npos);
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);

  Socket slow(s.port());
  const std::string req =
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: 10\r\n\r\na=%C3%A9+z";
  for (char ch : req) {
    slow.send(std::string(1, ch));
    std::this_thread::sleep_for(200us);
  }
  EXPECT_NE(slow.read_until("\xC3\xA9 z").find("a=%C3%A9+z|\xC3\xA9 z"), std::string::npos);
}

TEST(EventServer, ChunkedBodiesHeadAndExpectContinue) {
  Running s;
  Socket c(s.port());
  c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_NE(c.read_until("abcde|").find("Content-Length: 6"), std::string::npos);

  Socket head(s.port());
  head.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string h = head.read_until("\r\n\r\n");
  EXPECT_NE(h.find("Content-Length: 2"), std::string::npos);
  EXPECT_FALSE(head.closed_within(200ms));
  EXPECT_EQ(head.got().substr(head.got().size() - 4), "\r\n\r\n");  // no body after a HEAD

  // curl sends "Expect: 100-continue" for bodies over 1 KiB and waits for the interim 100.
  Socket cont(s.port());
  cont.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(cont.read_until("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  cont.send("body");
  EXPECT_NE(cont.read_until("body|").find("HTTP/1.1 200 OK"), std::string::npos);
}

TEST(EventServer, HostileRequestsGetAStatusAndTheConnectionCloses) {
  EventServerOptions o;
  o.max_body = 100;
  o.max_header = 1024;
  Running s(o);
  struct Case {
    std::string bytes;
    std::string status;
  };
  const std::vector<Case> cases = {
      {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n", "413"},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       "80\r\n" +
           std::string(128, 'a') + "\r\n0\r\n\r\n",
       "413"},
      {"GET /hello HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n", "431"},
      {"GET /hello HTTP/1.1\r\nX-Big: " + std::string(2000, 'a'), "431"},  // never ends
      {"GET /hello HTTP/1.1\r\nBad Header\r\n\r\n", "400"},
      {"G\x01T /hello HTTP/1.1\r\n\r\n", "400"},
      {"GET hello HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
      {"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "400"},
      {"POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "400"},
  };
  for (const auto& k : cases) {
    Socket c(s.port());
    c.send(k.bytes);
    const std::string got = c.read_until("\r\n\r\n");
    EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 " + k.status) << k.bytes.substr(0, 60);
    EXPECT_NE(got.find("Connection: close"), std::string::npos);
    EXPECT_TRUE(c.closed_within(2000ms)) << k.bytes.substr(0, 60);
  }
  // The server is unharmed.
  httplib::Client client("127.0.0.1", s.port());
  auto r = client.Get("/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "hi");
}

TEST(EventServer, TimeOutsCloseIdleAndSlowConnections) {
  EventServerOptions o;
  o.keep_alive_timeout_s = 1;
  o.read_timeout_s = 1;
  Running s(o);
  Socket idle(s.port());
  idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  idle.read_until("hi");
  EXPECT_FALSE(idle.closed_within(500ms));
  EXPECT_TRUE(idle.closed_within(3000ms));

  Socket slowloris(s.port());
  slowloris.send("GET /hello HTTP/1.1\r\nHost: x\r\n");
  EXPECT_TRUE(slowloris.closed_within(3000ms));
  EXPECT_EQ(slowloris.got().substr(0, 12), "HTTP/1.1 408");
  EXPECT_GE(s.server().stats().timeouts, 2u);
}

TEST(EventServer, ConnectionCloseHalfCloseAndHttp10) {
  Running s;
  Socket c(s.port());
  c.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(c.closed_within(2000ms));
  EXPECT_NE(c.got().find("Connection: close"), std::string::npos);

  Socket old(s.port());
  old.send("GET /hello HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(old.closed_within(2000ms));
  EXPECT_NE(old.got().find("\r\n\r\nhi"), std::string::npos);

  // A client that sends its request and shuts down its side still gets the answer.
  Socket half(s.port());
  half.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  half.shutdown_write();
  EXPECT_TRUE(half.closed_within(2000ms));
  EXPECT_NE(half.got().find("\r\n\r\nhi"), std::string::npos);
}

TEST(EventServer, StopAnswersTheRequestInProgressAndAClientThatLeftDoesNoHarm) {
  auto s = std::make_unique<Running>();
  {
    Socket gone(s->port());
    gone.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    while (!s->entered_) std::this_thread::sleep_for(1ms);
  }  // the client left while its request runs
  s->release_slow_ = true;
  httplib::Client client("127.0.0.1", s->port());
  auto r = client.Get("/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "hi");

  s->entered_ = false;
  s->release_slow_ = false;
  Socket waiting(s->port());
  waiting.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  while (!s->entered_) std::this_thread::sleep_for(1ms);
  s->server().stop();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(waiting.got(), "");
  s->release_slow_ = true;  // the handler finishes after stop(): its answer still goes out
  EXPECT_NE(waiting.read_until("slow").find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(waiting.got().find("Connection: close"), std::string::npos);
  EXPECT_TRUE(waiting.closed_within(2000ms));
  s.reset();
}

TEST(EventServer, StopBeforeRunReturnsAndBindReportsAPortInUse) {
  EventServer a{EventServerOptions{}};
  const int port = a.bind("127.0.0.1", 0);
  EventServer b{EventServerOptions{}};
  try {
    b.bind("127.0.0.1", port);
    FAIL() << "bound a port in use";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos);
  }
  a.stop();
  a.run();  // returns at once
}

}  // namespace
}  // namespace emonet::annotate::http
