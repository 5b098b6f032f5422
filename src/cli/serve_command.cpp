// `emonet serve`: the inference service (HTTP API, dynamic batching, metrics), and
// `emonet serve keygen`: a new API key and its line for the --api-keys file.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/command.h"
#include "emonet/error.h"
#include "emonet/serve_keys.h"
#include "emonet/serve_server.h"

namespace emonet::cli {
namespace {

struct Options {
  serve::ServerOptions server;
  std::string listen = "127.0.0.1:8000";
  std::string precision = "auto";
  std::string batch_wait = "arrivals";
  std::string face_model;
  std::size_t max_body_mb = 32;
  std::string keygen_label;
};

void parse_listen(const std::string& text, serve::ServerOptions& o) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size())
    throw Error("--listen must be HOST:PORT, e.g. 127.0.0.1:8000", {"", 0, "listen"});
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535 || host.empty())
    throw Error("--listen must be HOST:PORT with a port from 0 to 65535", {"", 0, "listen"});
  o.host = host;
  o.port = port;
}

int run_server(Options& opt, const GlobalOptions& global) {
  serve::ServerOptions& o = opt.server;
  parse_listen(opt.listen, o);
  o.precision = model::parse_precision(opt.precision);
  o.batch_wait = opt.batch_wait == "always" ? serve::BatchWait::always : serve::BatchWait::arrivals;
  if (!opt.face_model.empty()) o.face_detector = face_detector_options_for(opt.face_model);
  o.max_body = opt.max_body_mb << 20;
  o.announce = !global.quiet;

  // SIGTERM / SIGINT are taken by one thread with sigwait (blocked everywhere else, so
  // every thread started from here inherits the mask); it starts the drain.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  serve::Server server(o);
  const int port = server.bind();
  if (!global.quiet)
    std::fprintf(stderr, "emonet: serving on http://%s:%d/ (loading the model %s)\n",
                 o.host.c_str(), port, o.model.c_str());
  server.start_loading();
  std::atomic<bool> finished{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (finished) return;
    if (!global.quiet)
      std::fprintf(stderr, "emonet: %s: draining (answering every accepted request)\n",
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
    server.drain();
  });
  server.run();
  finished = true;
  kill(getpid(), SIGTERM);  // wakes the waiter if no signal came (e.g. the load failed)
  waiter.join();
  const std::string error = server.load_error();
  if (server.loading()) {
    // Stopped while the model was still loading: Model::load cannot be interrupted, and
    // every request has been answered, so leave without waiting for it.
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(0);
  }
  if (!global.quiet && error.empty()) std::fprintf(stderr, "emonet: stopped\n");
  return error.empty() ? 0 : 1;
}

int run_keygen(const Options& o) {
  const auto g = serve::generate_api_key(o.keygen_label);
  std::printf("%s\n%s\n", g.key.c_str(), g.hash_line.c_str());
  std::fprintf(stderr,
               "emonet: line 1 is the key (give it to the client: Authorization: Bearer <key>);\n"
               "        line 2 is its hash: append it to the --api-keys file. The key is not "
               "stored anywhere.\n");
  return 0;
}

RunFn setup(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "serve", "Serve the model over HTTP: dynamic batching, health, metrics, API keys");
  cmd->require_subcommand(0, 1);
  auto& s = o->server;
  cmd->add_option("--model", s.model,
                  "Model directory (DIR/siglip, DIR/heads), or large / small from the cache")
      ->capture_default_str();
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0 = any free port)")
      ->capture_default_str();
  cmd->add_option(
         "--precision", o->precision,
         "auto (bf16 where the CPU has AVX-512-BF16 or AMX, else fp32), fp32 (reference), bf16 "
         "or int8 (quantised encoder matmuls; accuracy in docs/model.md)")
      ->check(CLI::IsMember({"fp32", "bf16", "int8", "auto"}))
      ->capture_default_str();
  cmd->add_option("--threads", s.threads, "CPU threads of the forward pass (0 = all cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_option("--max-batch", s.max_batch, "Most images per forward pass")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--max-delay-ms", s.max_delay_ms,
                  "Longest time the oldest queued image waits for a batch to fill")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  cmd->add_option("--batch-wait", o->batch_wait,
                  "arrivals: wait --max-delay-ms only while other requests are still being "
                  "received (a lone request runs at once); always: wait it out (Triton)")
      ->check(CLI::IsMember({"arrivals", "always"}))
      ->capture_default_str();
  cmd->add_option("--queue", s.queue, "Images that may wait; beyond that requests get 429")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--timeout-ms", s.timeout_ms,
                  "A request whose images have not started by then gets 503")
      ->check(CLI::Range(1.0, 3600000.0))
      ->capture_default_str();
  cmd->add_flag("--faces", s.faces,
                "Detect faces and score each one by default (?faces=false turns it off)");
  cmd->add_option("--face-model", o->face_model,
                  "YuNet ONNX or Haar XML face detector (default: OpenCV's Haar cascade)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--api-keys", s.api_keys_file,
                  "File of key hashes (lines from `emonet serve keygen`): require a Bearer key")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--public-health", s.public_health, "With --api-keys: /health/* without a key");
  cmd->add_flag("--public-metrics", s.public_metrics, "With --api-keys: /metrics without a key");
  cmd->add_option("--cors-origin", s.cors_origin,
                  "Allow browsers from this origin (comma-separated list, or *); off by default");
  cmd->add_option("--max-body-mb", o->max_body_mb, "Largest request body (413 beyond)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_option("--max-images", s.max_images, "Most images per request (413 beyond)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--max-pixels", s.max_pixels,
                  "Largest width x height an image header may declare (413 beyond)")
      ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 40))
      ->capture_default_str();
  cmd->add_option("--http-threads", s.http_threads, "HTTP worker threads (0 = queue + 16)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_flag("--log-requests", s.log_requests, "One line per request on stderr");

  auto* keygen = cmd->add_subcommand("keygen", "Print a new API key and its hash line");
  keygen->add_option("--label", o->keygen_label, "A label to put after the hash");
  set_examples(*cmd, {"emonet serve --model large --listen 127.0.0.1:8000",
                      "emonet serve --model ./models/small --listen 0.0.0.0:8000 --max-batch 16 "
                      "--api-keys keys.txt --public-health",
                      "emonet serve keygen --label ci   # line 2 goes into keys.txt",
                      "curl --data-binary @face.jpg -H 'Content-Type: image/jpeg' "
                      "'http://127.0.0.1:8000/v1/predict?top=3'"});
  return [o, &global, keygen] {
    if (keygen->parsed()) return run_keygen(*o);
    return run_server(*o, global);
  };
}

}  // namespace

EMONET_REGISTER_COMMAND("serve", setup);

}  // namespace emonet::cli
