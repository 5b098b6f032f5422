// Load client of bench/annotate/run.sh: the same simulated experts as experts.lua (one
// expert = one session = one keep-alive connection, strictly sequential
//   GET  /api/projects/<pid>/next?count=1
//   POST /api/projects/<pid>/items/<iid>/answer   (CSRF token, fresh idempotency key)
// and again), but all connections are driven by one thread with epoll. wrk needs one
// thread per expert here (its Lua script cannot tell its connections apart), and 200 wrk
// threads on a 2-core machine cost about as much CPU as the server itself.
//
//   experts <host> <port> <sessions file> <project id> <seconds> <acked ids out>
//           [rate] [answer_next]
//
// rate > 0: open loop instead of closed loop. Each expert starts a submission every
// experts/rate seconds (phases spread evenly), so the offered load is `rate` submissions/s
// whatever the server does; a cycle that starts late (the server fell behind) counts its
// latency from when it was due, so queueing shows in the percentiles (no coordinated
// omission). rate = 0 (default): every expert sends its next request as soon as the last
// one was answered (with 200 experts, mean latency = 200 / requests per second).
// answer_next = 1: the answer asks for the next item in the same request ("next": 1, see
// docs/annotate-api.md), so a submission is one request instead of two.
//
// Prints "RESULT acked=... p99_ms=..." (the line experts.lua prints) and writes the
// event_id of every acknowledged answer to <acked ids out> for verify.py. Latency is
// from the first byte sent to the last byte of the response, over all requests.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

const char* kRatings[] = {
    "\"Positive High-Energy Emotions|Amusement\":3",
    "\"Negative Low-Energy Emotions|Sadness\":5",
    "\"Cognitive States and Processes|Concentration\":2",
    "\"Physical and Exhaustive States|Fatigue/Exhaustion\":6",
};

struct Expert {
  int index = 0;
  std::string cookie, csrf;
  int fd = -1;
  std::string item;  // leased item waiting to be answered ("" = none)
  long sent = 0;     // answers sent, for unique idempotency keys
  bool pending_answer = false;
  std::string in;   // response bytes received so far
  std::string out;  // the request to send once the connection is up
  bool connecting = false;
  Clock::time_point started;
  Clock::time_point due;  // open loop: when the next cycle starts
  bool waiting = false;   // open loop: idle until `due`
};

struct Totals {
  long acked = 0, duplicates = 0, conflicts = 0, empty = 0, errors = 0, requests = 0;
  long socket_errors = 0;
  std::string last_error;
  std::vector<std::int64_t> acked_ids;
  std::vector<std::uint32_t> latency_us;
};

sockaddr_in g_addr{};
bool g_answer_next = false;
int g_epoll = -1;
std::string g_project;

// Starts a non-blocking connect (cpp-httplib 0.11 listens with a backlog of 5: a burst
// of connects loses SYNs, and a blocking connect would stall every expert for the 1 s
// SYN retry). The request goes out once epoll reports the socket writable.
bool open_connection(Expert& e) {
  e.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (e.fd < 0) return false;
  const int one = 1;
  setsockopt(e.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(e.fd, reinterpret_cast<const sockaddr*>(&g_addr), sizeof g_addr) != 0 &&
      errno != EINPROGRESS) {
    close(e.fd);
    e.fd = -1;
    return false;
  }
  e.connecting = true;
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.u32 = static_cast<std::uint32_t>(e.index);
  epoll_ctl(g_epoll, EPOLL_CTL_ADD, e.fd, &ev);
  return true;
}

void close_connection(Expert& e) {
  if (e.fd >= 0) {
    epoll_ctl(g_epoll, EPOLL_CTL_DEL, e.fd, nullptr);
    close(e.fd);
  }
  e.fd = -1;
  e.in.clear();
  e.connecting = false;
}

bool send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) continue;  // a request is far smaller than the buffer
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

std::string headers(const Expert& e) {
  return "Host: bench\r\nCookie: emonet_session=" + e.cookie + "\r\nX-CSRF-Token: " + e.csrf +
         "\r\nAccept: application/json\r\n";
}

// `from`: when the request counts as sent (open loop: when its cycle was due).
bool send_request(Expert& e, Totals& t, Clock::time_point from = Clock::time_point()) {
  if (e.fd < 0 && !open_connection(e)) {
    ++t.socket_errors;
    return false;
  }
  std::string req;
  if (e.item.empty()) {
    e.pending_answer = false;
    req = "GET /api/projects/" + g_project + "/next?count=1 HTTP/1.1\r\n" + headers(e) + "\r\n";
  } else {
    ++e.sent;
    e.pending_answer = true;
    const std::string body = "{\"idempotency_key\":\"bench-" + std::to_string(e.index + 1) + "-" +
                             std::to_string(e.sent) + "\",\"ratings\":{" + kRatings[e.sent % 4] +
                             "},\"no_emotion\":false,\"response_ms\":1500" +
                             (g_answer_next ? ",\"next\":1}" : "}");
    req = "POST /api/projects/" + g_project + "/items/" + e.item + "/answer HTTP/1.1\r\n" +
          headers(e) +
          "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n\r\n" + body;
  }
  e.started = from == Clock::time_point() ? Clock::now() : from;
  if (e.connecting) {
    e.out = std::move(req);
    return true;
  }
  if (!send_all(e.fd, req)) {
    ++t.socket_errors;
    close_connection(e);
    return false;
  }
  return true;
}

// The value of a JSON number field in `body` ("" if absent).
std::string json_number(const std::string& body, const char* field) {
  const std::string key = std::string("\"") + field + "\":";
  auto at = body.find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  while (at < body.size() && body[at] == ' ') ++at;
  std::size_t end = at;
  while (end < body.size() && body[end] >= '0' && body[end] <= '9') ++end;
  return body.substr(at, end - at);
}

void handle_response(Expert& e, int status, const std::string& body, Totals& t) {
  if (!e.pending_answer) {
    if (status == 200) {
      e.item = json_number(body, "item_id");
      if (e.item.empty()) ++t.empty;
    } else if (status == 204) {
      ++t.empty;
    } else {
      ++t.errors;
      t.last_error = std::to_string(status) + " " + body.substr(0, 120);
    }
    return;
  }
  e.item.clear();
  if (status == 200) {
    if (g_answer_next) {
      // The next lease came with the answer; none left (or refused) -> GET next.
      const auto at = body.find("\"next\":");
      if (at != std::string::npos) e.item = json_number(body.substr(at), "item_id");
    }
    if (body.find("\"duplicate\":true") != std::string::npos) {
      ++t.duplicates;
    } else {
      ++t.acked;
      t.acked_ids.push_back(std::atoll(json_number(body, "event_id").c_str()));
    }
  } else if (status == 403 || status == 409) {
    ++t.conflicts;
  } else {
    ++t.errors;
    t.last_error = std::to_string(status) + " " + body.substr(0, 120);
  }
}

// Parses one complete response from e.in if there is one; returns whether it did.
bool take_response(Expert& e, Totals& t, bool& close_after) {
  const auto head_end = e.in.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  std::string head = e.in.substr(0, head_end);
  for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const int status = std::atoi(head.c_str() + 9);
  std::size_t length = 0;
  if (auto at = head.find("\r\ncontent-length:"); at != std::string::npos) {
    length = std::strtoul(head.c_str() + at + 17, nullptr, 10);
  }
  if (e.in.size() < head_end + 4 + length) return false;
  close_after = head.find("\r\nconnection: close") != std::string::npos;
  const std::string body = e.in.substr(head_end + 4, length);
  e.in.erase(0, head_end + 4 + length);
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - e.started).count();
  t.latency_us.push_back(static_cast<std::uint32_t>(us));
  ++t.requests;
  handle_response(e, status, body, t);
  return true;
}

double percentile_ms(std::vector<std::uint32_t>& v, double q) {
  if (v.empty()) return 0;
  const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7 || argc > 9) {
    std::fprintf(stderr,
                 "usage: experts <host> <port> <sessions> <project> <seconds> <acked out> "
                 "[rate] [answer_next]\n");
    return 2;
  }
  g_addr.sin_family = AF_INET;
  g_addr.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
  inet_pton(AF_INET, argv[1], &g_addr.sin_addr);
  g_project = argv[4];
  const double seconds = std::atof(argv[5]);
  const double rate = argc > 7 ? std::atof(argv[7]) : 0.0;
  g_answer_next = argc > 8 && std::atoi(argv[8]) != 0;

  std::vector<Expert> experts;
  {
    std::ifstream in(argv[3]);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      Expert e;
      if (fields >> e.cookie >> e.csrf) {
        e.index = static_cast<int>(experts.size());
        experts.push_back(std::move(e));
      }
    }
  }
  if (experts.empty()) {
    std::fprintf(stderr, "no sessions in %s\n", argv[3]);
    return 2;
  }
  g_epoll = epoll_create1(0);
  Totals t;
  t.latency_us.reserve(1 << 20);
  // Connect every expert before the clock starts (as wrk does before measuring).
  std::vector<epoll_event> events(experts.size());
  for (auto& e : experts) {
    if (!open_connection(e)) ++t.socket_errors;
  }
  const auto connect_deadline = Clock::now() + std::chrono::seconds(30);
  auto still_connecting = [&] {
    return std::any_of(experts.begin(), experts.end(),
                       [](const Expert& e) { return e.connecting; });
  };
  while (still_connecting() && Clock::now() < connect_deadline) {
    const int n = epoll_wait(g_epoll, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      Expert& e = experts[events[i].data.u32];
      if (!e.connecting) continue;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(e.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        close_connection(e);
        open_connection(e);
        continue;
      }
      e.connecting = false;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<std::uint32_t>(e.index);
      epoll_ctl(g_epoll, EPOLL_CTL_MOD, e.fd, &ev);
    }
  }
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::microseconds(static_cast<long>(seconds * 1e6));
  // Open loop: expert i's cycles are due at start + (i / n + k) * period.
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(rate > 0 ? double(experts.size()) / rate : 0.0));
  for (auto& e : experts) {
    if (rate > 0) {
      e.due = start + period * e.index / static_cast<long>(experts.size());
      e.waiting = true;
    } else {
      send_request(e, t);
    }
  }

  char buf[16384];
  auto last_check = start;
  while (Clock::now() < deadline) {
    const int n =
        epoll_wait(g_epoll, events.data(), static_cast<int>(events.size()), rate > 0 ? 1 : 100);
    if (rate > 0) {
      const auto now = Clock::now();
      for (auto& e : experts) {
        if (e.waiting && e.due <= now && now < deadline) {
          e.waiting = false;
          send_request(e, t, e.due);
        }
      }
    }
    for (int i = 0; i < n; ++i) {
      Expert& e = experts[events[i].data.u32];
      if (e.fd < 0) continue;
      if (e.connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(e.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          ++t.socket_errors;
          close_connection(e);
          e.item.clear();
          send_request(e, t);
          continue;
        }
        e.connecting = false;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<std::uint32_t>(e.index);
        epoll_ctl(g_epoll, EPOLL_CTL_MOD, e.fd, &ev);
        if (!send_all(e.fd, e.out)) {
          ++t.socket_errors;
          close_connection(e);
          e.item.clear();
          send_request(e, t);
        }
        continue;
      }
      const ssize_t got = recv(e.fd, buf, sizeof buf, 0);
      if (got <= 0) {
        // The server closed the connection without a pending response: reconnect.
        ++t.socket_errors;
        close_connection(e);
        e.item.clear();
        send_request(e, t);
        continue;
      }
      e.in.append(buf, static_cast<std::size_t>(got));
      bool close_after = false;
      const bool was_answer = e.pending_answer;
      if (!take_response(e, t, close_after)) continue;
      if (close_after) close_connection(e);
      if (Clock::now() >= deadline) continue;
      if (rate > 0 && was_answer) {
        // The cycle is over: the next one starts when due (at once if already late).
        e.due += period;
        if (e.due > Clock::now()) {
          e.waiting = true;
          continue;
        }
        send_request(e, t, e.due);
        continue;
      }
      send_request(e, t);
    }
    // Requests without an answer for 10 s count as timeouts (as wrk --timeout 10s).
    const auto now = Clock::now();
    if (now - last_check < std::chrono::milliseconds(100)) continue;
    last_check = now;
    for (auto& e : experts) {
      if (e.fd >= 0 && !e.waiting && now - e.started > std::chrono::seconds(10)) {
        ++t.socket_errors;
        close_connection(e);
        e.item.clear();
        send_request(e, t);
      }
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (FILE* f = std::fopen(argv[6], "w")) {
    for (auto id : t.acked_ids) std::fprintf(f, "%lld\n", static_cast<long long>(id));
    std::fclose(f);
  }
  if (!t.last_error.empty()) std::printf("LAST_ERROR %s\n", t.last_error.c_str());
  const double max_ms =
      t.latency_us.empty() ? 0 : *std::max_element(t.latency_us.begin(), t.latency_us.end()) / 1e3;
  const double p50 = percentile_ms(t.latency_us, 0.50);
  const double p90 = percentile_ms(t.latency_us, 0.90);
  const double p99 = percentile_ms(t.latency_us, 0.99);
  std::printf(
      "RESULT acked=%ld duplicates=%ld conflicts=%ld empty=%ld errors=%ld requests=%ld "
      "seconds=%.3f submissions_per_s=%.1f requests_per_s=%.1f p50_ms=%.2f p90_ms=%.2f "
      "p99_ms=%.2f max_ms=%.2f socket_errors=%ld offered_per_s=%.0f answer_next=%d\n",
      t.acked, t.duplicates, t.conflicts, t.empty, t.errors, t.requests, elapsed, t.acked / elapsed,
      t.requests / elapsed, p50, p90, p99, max_ms, t.socket_errors, rate, g_answer_next ? 1 : 0);
  return 0;
}
