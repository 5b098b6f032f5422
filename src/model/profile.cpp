// ProfileAccumulator's snapshot and the two renderings of a ForwardProfile.
#include "model/profile.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace emonet::model {

namespace {

constexpr const char* kNames[kOpClasses] = {"matmul",     "attention", "norm", "activation",
                                            "conversion", "heads",     "other"};

// Why a class can show no time: its work happens inside another class's kernel.
const char* note_for(const OpClassProfile& c) {
  if (c.name == "activation" && c.seconds == 0)
    return "GELU runs as fc1's oneDNN post-op (inside matmul)";
  if (c.name == "conversion") return "bf16 casts are fused into the norms' and matmuls' outputs";
  return "";
}

double gflops(const OpClassProfile& c) {
  return c.seconds > 0 && c.flop > 0 ? c.flop / c.seconds * 1e-9 : 0;
}

}  // namespace

ForwardProfile ProfileAccumulator::snapshot() const {
  ForwardProfile p;
  for (std::size_t i = 0; i < kOpClasses; ++i)
    p.classes.push_back(OpClassProfile{kNames[i], seconds_[i], flop_[i]});
  p.total_seconds = total_;
  p.forwards = forwards_;
  p.images = images_;
  return p;
}

std::string format_profile(const ForwardProfile& p, const std::string& kernels) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line,
                "profile: %zu forward passes, %zu images, %.3f s (%.2f images/s)\n", p.forwards,
                p.images, p.total_seconds,
                p.total_seconds > 0 ? double(p.images) / p.total_seconds : 0.0);
  out += line;
  std::snprintf(line, sizeof line, "  %-11s %10s %7s %10s %10s\n", "class", "seconds", "share",
                "GFLOP", "GFLOP/s");
  out += line;
  double flop = 0;
  for (const auto& c : p.classes) {
    flop += c.flop;
    const double share = p.total_seconds > 0 ? 100.0 * c.seconds / p.total_seconds : 0;
    if (c.flop > 0)
      std::snprintf(line, sizeof line, "  %-11s %10.4f %6.1f%% %10.3f %10.1f", c.name.c_str(),
                    c.seconds, share, c.flop * 1e-9, gflops(c));
    else
      std::snprintf(line, sizeof line, "  %-11s %10.4f %6.1f%% %10s %10s", c.name.c_str(),
                    c.seconds, share, "-", "-");
    out += line;
    if (*note_for(c)) out += std::string("  (") + note_for(c) + ")";
    out += "\n";
  }
  std::snprintf(line, sizeof line, "  %-11s %10.4f %6.1f%% %10.3f %10.1f\n", "total",
                p.total_seconds, 100.0, flop * 1e-9,
                p.total_seconds > 0 ? flop / p.total_seconds * 1e-9 : 0.0);
  out += line;
  out += "  oneDNN kernels: " + kernels + "\n";
  return out;
}

std::string profile_json(const ForwardProfile& p, const std::string& kernels) {
  nlohmann::json j;
  j["forwards"] = p.forwards;
  j["images"] = p.images;
  j["total_seconds"] = p.total_seconds;
  j["kernels"] = kernels;
  auto& classes = j["classes"] = nlohmann::json::object();
  for (const auto& c : p.classes)
    classes[c.name] = {{"seconds", c.seconds}, {"flop", c.flop}, {"gflops", gflops(c)}};
  return j.dump();
}

}  // namespace emonet::model
