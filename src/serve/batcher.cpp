// The dynamic batcher: a bounded image queue in front of one worker thread.
#include "serve/batcher.h"

#include <algorithm>
#include <exception>

#include "serve/metrics.h"

namespace emonet::serve::detail {

using Clock = std::chrono::steady_clock;

struct Batcher::Job {
  std::vector<Image> images;
  std::vector<model::Prediction> predictions;
  std::function<bool()> client_alive;
  Clock::time_point enqueued;
  std::size_t queued = 0;     // items still in queue_
  std::size_t remaining = 0;  // items not yet scored
  bool started = false, finished = false, checked_alive = false;
  BatchStatus status = BatchStatus::done;
  std::string error;
};

Batcher::Batcher(const model::Model& model, BatcherOptions options, Metrics& metrics)
    : model_(model), o_(options), metrics_(metrics) {
  worker_ = std::thread([this] { work(); });
}

Batcher::~Batcher() {
  stop();
}

void Batcher::stop() {
  {
    std::lock_guard lk(m_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Batcher::hurry() {
  {
    std::lock_guard lk(m_);
    hurry_ = true;
  }
  work_cv_.notify_all();
}

std::size_t Batcher::depth() const {
  std::lock_guard lk(m_);
  return live_;
}

void Batcher::finish_locked(Job& job, BatchStatus status) {
  if (job.finished) return;
  job.finished = true;
  job.status = status;
  live_ -= job.queued;  // its items left in queue_ are skipped by the worker
  job.queued = 0;
  metrics_.set_queue_depth(live_);
  done_cv_.notify_all();
}

void Batcher::arriving() {
  std::lock_guard lk(m_);
  ++arriving_;
}

void Batcher::not_coming() {
  {
    std::lock_guard lk(m_);
    if (arriving_ > 0) --arriving_;
  }
  work_cv_.notify_all();  // the worker may be waiting for exactly this request
}

BatchOutcome Batcher::run(std::vector<Image> images, std::function<bool()> client_alive,
                          bool announced) {
  auto job = std::make_shared<Job>();
  const std::size_t n = images.size();
  job->images = std::move(images);
  job->predictions.resize(n);
  job->client_alive = std::move(client_alive);
  std::unique_lock lk(m_);
  if (announced && arriving_ > 0) {
    --arriving_;
    work_cv_.notify_all();
  }
  if (n == 0) return {};
  if (stopping_) return {BatchStatus::stopped, {}, ""};
  if (live_ > 0 && live_ + n > o_.capacity) return {BatchStatus::full, {}, ""};
  job->enqueued = Clock::now();
  job->queued = job->remaining = n;
  for (std::size_t i = 0; i < n; ++i) queue_.push_back(Item{job, i});
  live_ += n;
  metrics_.set_queue_depth(live_);
  work_cv_.notify_all();
  // Past the timeout a request that has not started gives up its slots; one whose images
  // are being scored waits for them (the forward pass cannot be interrupted).
  const auto deadline = job->enqueued + o_.timeout;
  while (!job->finished) {
    if (done_cv_.wait_until(lk, deadline) == std::cv_status::timeout && !job->finished &&
        !job->started) {
      finish_locked(*job, BatchStatus::timed_out);
    }
    if (Clock::now() >= deadline && !job->finished)
      done_cv_.wait(lk, [&] { return job->finished; });
  }
  BatchOutcome out;
  out.status = job->status;
  out.error = job->error;
  if (out.status == BatchStatus::done) out.predictions = std::move(job->predictions);
  return out;
}

void Batcher::work() {
  std::unique_lock lk(m_);
  for (;;) {
    work_cv_.wait(lk, [&] { return stopping_ || live_ > 0; });
    if (live_ == 0) {
      if (stopping_) return;
      continue;
    }
    // Drop dead items at the front so the delay counts from the oldest live image.
    while (!queue_.empty() && queue_.front().job->finished) queue_.pop_front();
    if (queue_.empty()) continue;
    const auto nothing_coming = [&] { return o_.wait_for_arrivals && arriving_ == 0; };
    if (!stopping_ && !hurry_ && !nothing_coming()) {
      const auto deadline = queue_.front().job->enqueued + o_.max_delay;
      work_cv_.wait_until(lk, deadline, [&] {
        return stopping_ || hurry_ || live_ >= o_.max_batch || nothing_coming();
      });
    }
    std::vector<Item> batch;
    while (!queue_.empty() && batch.size() < o_.max_batch) {
      Item it = std::move(queue_.front());
      queue_.pop_front();
      Job& job = *it.job;
      if (job.finished) continue;
      --job.queued;
      --live_;
      batch.push_back(std::move(it));
    }
    metrics_.set_queue_depth(live_);
    if (batch.empty()) continue;
    // Ask each new request's client whether it is still there (a syscall: outside the lock).
    std::vector<std::shared_ptr<Job>> to_check;
    for (const auto& it : batch)
      if (!it.job->checked_alive && it.job->client_alive &&
          std::find(to_check.begin(), to_check.end(), it.job) == to_check.end())
        to_check.push_back(it.job);
    for (const auto& j : to_check) {
      j->checked_alive = true;
      j->started = true;
    }
    lk.unlock();
    std::vector<std::shared_ptr<Job>> gone;
    for (const auto& j : to_check)
      if (!j->client_alive()) gone.push_back(j);
    lk.lock();
    if (!gone.empty()) {
      for (const auto& j : gone) finish_locked(*j, BatchStatus::cancelled);
      std::erase_if(batch, [](const Item& it) { return it.job->finished; });
      if (batch.empty()) continue;
    }
    for (const auto& it : batch) it.job->started = true;
    std::vector<Image> images;
    images.reserve(batch.size());
    for (auto& it : batch) images.push_back(std::move(it.job->images[it.index]));
    lk.unlock();
    std::vector<model::Prediction> preds;
    std::string error;
    try {
      preds = model_.predict(images, /*with_embeddings=*/true);
    } catch (const std::exception& e) {
      error = e.what();
    }
    metrics_.batch(batch.size());
    lk.lock();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Job& job = *batch[i].job;
      if (job.finished) continue;
      if (!error.empty()) {
        job.error = error;
        finish_locked(job, BatchStatus::failed);
        continue;
      }
      job.predictions[batch[i].index] = std::move(preds[i]);
      if (--job.remaining == 0) finish_locked(job, BatchStatus::done);
    }
  }
}

}  // namespace emonet::serve::detail
