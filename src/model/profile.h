// The per-operator profile of the forward pass (ModelOptions::profile): wall time and
// FLOPs per operator class, summed over forward passes. The timers are steady_clock
// reads around each operator, taken only when profiling is on: a disabled ScopedOp is
// one branch, so the unprofiled forward pass pays nothing measurable.
// Not thread-safe: the Model's forward mutex serialises every use.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>

#include "emonet/model.h"

namespace emonet::model {

enum class OpClass { matmul, attention, norm, activation, conversion, heads, other };
inline constexpr std::size_t kOpClasses = 7;

class ProfileAccumulator {
 public:
  explicit ProfileAccumulator(bool enabled = false) : enabled_(enabled) {}
  bool enabled() const { return enabled_; }
  void add(OpClass c, double seconds, double flop) {
    seconds_[std::size_t(c)] += seconds;
    flop_[std::size_t(c)] += flop;
  }
  void add_forward(double seconds, std::size_t images) {
    total_ += seconds;
    ++forwards_;
    images_ += images;
  }
  ForwardProfile snapshot() const;

 private:
  bool enabled_;
  std::array<double, kOpClasses> seconds_{}, flop_{};
  double total_ = 0;
  std::size_t forwards_ = 0, images_ = 0;
};

// Times its scope into `acc` as class `c` with `flop` floating-point operations; does
// nothing when acc is null or disabled.
class ScopedOp {
 public:
  ScopedOp(ProfileAccumulator* acc, OpClass c, double flop = 0)
      : acc_(acc && acc->enabled() ? acc : nullptr), class_(c), flop_(flop) {
    if (acc_) start_ = std::chrono::steady_clock::now();
  }
  ~ScopedOp() {
    if (acc_)
      acc_->add(class_,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(),
                flop_);
  }
  ScopedOp(const ScopedOp&) = delete;
  ScopedOp& operator=(const ScopedOp&) = delete;

 private:
  ProfileAccumulator* acc_;
  OpClass class_;
  double flop_;
  std::chrono::steady_clock::time_point start_{};
};

}  // namespace emonet::model
