// A progress indicator on stderr for long work ("label  123/456  27%  4.1/s  ETA 1:02"),
// optionally followed by a caller's detail text ("retries 3  failed 1  tokens 12k").
//
// It draws only when stderr is a terminal and the user did not ask for --quiet, and
// redraws at most ~10 times a second, so calling tick() in a hot loop is cheap.
// tick() may be called from several threads; the counter is atomic and drawing is
// serialised.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace emonet {

class Progress {
 public:
  // total = 0 means unknown (shows a count and rate only).
  Progress(std::string label, std::uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void tick(std::uint64_t n = 1);
  void finish();  // draws the final state and a newline (idempotent)
  // Text appended to every drawn line; `detail` is called while drawing (under the
  // drawing lock, from whichever thread ticks), so it must be thread-safe and cheap.
  void set_detail(std::function<std::string()> detail);

  // Global switch set by the CLI's --quiet flag.
  static void set_quiet(bool quiet);
  static bool enabled();

 private:
  void draw(bool final);

  std::string label_;
  std::uint64_t total_;
  std::atomic<std::uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
  std::function<std::string()> detail_;
  bool active_;
  bool finished_ = false;
};

}  // namespace emonet
