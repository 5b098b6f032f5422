// `emonet eval vlm` client throughput against the stand-in OpenAI-compatible server
// (tests/unit/eval/vlm_stand_in.h) with a fixed latency: requests per second vs the ideal
// concurrency / latency, and the client's CPU time per request.
//
//   vlm_throughput [--latency-ms 50] [--images 1280] [--reps 5] [--concurrency 1,16,64,auto]
//
// The server runs in a forked child process, so getrusage(RUSAGE_SELF) of this process is
// the client's CPU only (HTTP, JSON, base64, reply parsing, result bookkeeping). zs
// protocol, no cache: one request per image. Prints one line per concurrency with the
// median over the repetitions.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "emonet/eval.h"
#include "emonet/files.h"
#include "vlm_stand_in.h"

namespace {

using namespace emonet::eval;  // NOLINT: a benchmark's main

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int latency_ms = 50, images = 1280, reps = 5;
  std::string levels = "1,16,64,auto", external;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--latency-ms")
      latency_ms = std::stoi(argv[i + 1]);
    else if (a == "--images")
      images = std::stoi(argv[i + 1]);
    else if (a == "--reps")
      reps = std::stoi(argv[i + 1]);
    else if (a == "--concurrency")
      levels = argv[i + 1];
    else if (a == "--url")  // a stand-in started elsewhere (profiling)
      external = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (argc == 2 && std::string(argv[1]) == "--serve") {  // only the stand-in (for profiling)
    test_stand_in::StandIn s;
    s.latency(std::chrono::milliseconds(latency_ms));
    s.record_bodies(false);
    std::printf("%s\n", s.url().c_str());
    std::fflush(stdout);
    pause();
    return 0;
  }
  int ports[2];
  if (pipe(ports) != 0) return 1;
  const pid_t server = external.empty() ? fork() : 1;
  if (server == 0) {  // the stand-in, until the parent kills it
    close(ports[0]);
    test_stand_in::StandIn s;
    s.latency(std::chrono::milliseconds(latency_ms));
    s.record_bodies(false);
    const std::string url = s.url();
    if (write(ports[1], url.data(), url.size()) < 0) _exit(1);
    close(ports[1]);
    pause();
    _exit(0);
  }
  close(ports[1]);
  char buf[128] = {};
  if (external.empty() && read(ports[0], buf, sizeof buf - 1) <= 0) return 1;
  const std::string url = external.empty() ? std::string(buf) : external;

  const auto dir =
      std::filesystem::temp_directory_path() / ("emonet-vlm-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  for (int i = 0; i < images; ++i)
    emonet::write_file_atomic((dir / ("img" + std::to_string(100000 + i) + ".png")).string(),
                              "img" + std::to_string(100000 + i));
  const auto list = collect_vlm_images({dir.string()});

  std::printf("# stand-in latency %d ms, %d images (= requests) per rep, %d reps (medians)\n",
              latency_ms, images, reps);
  std::printf("%-12s %12s %12s %8s %16s %10s\n", "concurrency", "req/s", "ideal req/s", "ratio",
              "client CPU/req", "peak");
  std::stringstream ls(levels);
  for (std::string level; std::getline(ls, level, ',');) {
    std::vector<double> rates, cpus;
    std::size_t peak = 0;
    for (int r = 0; r < reps; ++r) {
      VlmOptions o;
      o.endpoint = url;
      o.model = "bench";
      o.out_path = (dir / "out.jsonl").string();
      o.progress = false;
      o.timeout_s = 60;
      if (level == "auto") {
        o.concurrency_auto = true;
        o.max_concurrency = 64;
      } else {
        o.concurrency = static_cast<std::size_t>(std::stoi(level));
      }
      const double c0 = cpu_seconds();
      const auto t0 = std::chrono::steady_clock::now();
      const auto sum = run_vlm_eval(list, o);
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double cpu = cpu_seconds() - c0;
      if (sum.ok != list.size())
        std::fprintf(stderr, "warning: %zu of %zu ok\n", sum.ok, list.size());
      rates.push_back(static_cast<double>(sum.requests_sent) / wall);
      cpus.push_back(cpu / static_cast<double>(sum.requests_sent));
      peak = std::max(peak, sum.concurrency_peak);
    }
    const double ideal =
        (level == "auto" ? 64.0 : std::stod(level)) / (static_cast<double>(latency_ms) / 1000.0);
    std::printf("%-12s %12.1f %12.1f %8.3f %13.1f us %10s\n", level.c_str(), median(rates), ideal,
                median(rates) / ideal, median(cpus) * 1e6,
                level == "auto" ? std::to_string(peak).c_str() : "-");
    std::fflush(stdout);
  }
  if (external.empty()) {
    kill(server, SIGTERM);
    waitpid(server, nullptr, 0);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
