// Internal: the dynamic batcher of `emonet serve`. One worker thread owns the forward
// passes; request threads queue their images and block until the answers are there.
//
// Batching rule (Triton's dynamic batcher): the worker starts a batch as soon as
// `max_batch` images wait, or when the oldest waiting image has waited `max_delay`,
// whichever comes first. With `wait_for_arrivals` (the server's default) the wait also
// ends as soon as no announced request is still on its way (see arriving()): waiting is
// only worth it for images known to be coming, so a lone request on an idle server runs
// at once instead of paying the delay. A request's images may span batches; answers come back in
// the request's order. Results do not depend on the batch: every image is scored by the same
// Model::predict arithmetic whatever else is in its batch (docs/serve.md says how far the
// engine guarantees that).
//
// Refusals: run() returns `full` when the queue (counted in images) has no room (429),
// `timed_out` when none of the request's images started within `timeout` (503), and
// `cancelled` when its client went away before its batch ran (the slot is freed, nothing
// is computed for it).
//
// Thread safety: run(), depth() and stop() may be called from any thread at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "emonet/image.h"
#include "emonet/model.h"

namespace emonet::serve::detail {

class Metrics;

struct BatcherOptions {
  std::size_t max_batch = 8;
  std::chrono::microseconds max_delay{5000};
  std::size_t capacity = 64;  // images waiting (a request larger than this fits an empty queue)
  std::chrono::milliseconds timeout{30000};
  // false: always wait out max_delay (unless max_batch images wait); true: stop waiting
  // once nothing announced by arriving() is still to come.
  bool wait_for_arrivals = false;
};

enum class BatchStatus { done, full, timed_out, cancelled, failed, stopped };

struct BatchOutcome {
  BatchStatus status = BatchStatus::done;
  std::vector<model::Prediction> predictions;  // one per image when done (with embeddings)
  std::string error;                           // failed: what the engine reported
};

class Batcher {
 public:
  Batcher(const model::Model& model, BatcherOptions options, Metrics& metrics);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues the images, blocks until they are scored (or refused, see above).
  // `client_alive` is asked right before the request's first batch runs. `announced`: the
  // request was announced with arriving(), and now counts as arrived.
  BatchOutcome run(std::vector<Image> images, std::function<bool()> client_alive,
                   bool announced = false);

  // A request that will call run() soon (its body is being read or its images decoded);
  // not_coming() withdraws it when it ends without calling run() (a 4xx answer).
  void arriving();
  void not_coming();

  std::size_t depth() const;  // images waiting
  // Refuses new work, scores everything already queued, joins the worker.
  void stop();
  // From now on batches start without waiting for max_delay (the drain: nothing more is
  // coming that could fill them).
  void hurry();

 private:
  struct Job;
  struct Item {
    std::shared_ptr<Job> job;
    std::size_t index;
  };
  void work();
  void finish_locked(Job& job, BatchStatus status);

  const model::Model& model_;
  const BatcherOptions o_;
  Metrics& metrics_;
  mutable std::mutex m_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<Item> queue_;
  std::size_t live_ = 0;      // queued images of jobs still waiting (queue_ may hold dead ones)
  std::size_t arriving_ = 0;  // announced requests not yet queued
  bool stopping_ = false, hurry_ = false;
  std::thread worker_;
};

}  // namespace emonet::serve::detail
