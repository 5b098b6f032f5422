// The uses that the EmoNet-Face dataset and model cards forbid, as one text.
//
// Printed wherever the model or a dataset is fetched (today `emonet model fetch`) and shown
// in the README, so that nobody obtains the weights or the data without
// having seen it. Thread-safety: returns a static string.
#pragma once

#include <string_view>

namespace emonet {

// A few lines, each ending in '\n', suitable for stderr.
std::string_view forbidden_uses_notice();

}  // namespace emonet
