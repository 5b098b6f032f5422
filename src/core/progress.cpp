#include "emonet/progress.h"

#include <unistd.h>

#include <cstdio>

namespace emonet {
namespace {
std::atomic<bool> g_quiet{false};
}

void Progress::set_quiet(bool quiet) {
  g_quiet = quiet;
}
bool Progress::enabled() {
  return !g_quiet && ::isatty(STDERR_FILENO);
}

Progress::Progress(std::string label, std::uint64_t total)
    : label_(std::move(label)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_),
      active_(enabled()) {}

Progress::~Progress() {
  finish();
}

void Progress::tick(std::uint64_t n) {
  done_ += n;
  if (!active_) return;
  auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  if (!active_) return;
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::set_detail(std::function<std::string()> detail) {
  std::lock_guard lock(mutex_);
  detail_ = std::move(detail);
}

void Progress::draw(bool final) {
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::uint64_t done = done_.load();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  char line[256];
  if (total_ > 0) {
    const double pct = 100.0 * static_cast<double>(done) / static_cast<double>(total_);
    const double eta = rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate : 0;
    std::snprintf(line, sizeof line, "\r%s  %llu/%llu  %3.0f%%  %.1f/s  ETA %d:%02d\x1b[K",
                  label_.c_str(), static_cast<unsigned long long>(done),
                  static_cast<unsigned long long>(total_), pct, rate, static_cast<int>(eta) / 60,
                  static_cast<int>(eta) % 60);
  } else {
    std::snprintf(line, sizeof line, "\r%s  %llu  %.1f/s\x1b[K", label_.c_str(),
                  static_cast<unsigned long long>(done), rate);
  }
  std::string text = line;
  if (detail_) {
    const auto tail = text.rfind("\x1b[K");
    text.insert(tail, "  " + detail_());
  }
  std::fputs(text.c_str(), stderr);
  if (final) std::fputs("\n", stderr);
  std::fflush(stderr);
}

}  // namespace emonet
