// Names of Estimate statuses for messages and JSON output.
#include "emonet/stats/estimate.h"

namespace emonet::stats {

const char* to_string(Status status) {
  switch (status) {
    case Status::ok:
      return "ok";
    case Status::undefined:
      return "undefined";
    case Status::rejected:
      return "rejected";
  }
  return "unknown";
}

}  // namespace emonet::stats
