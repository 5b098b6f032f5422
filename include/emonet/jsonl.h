// JSON Lines reading shared by every reader of predictions, VLM runs and label files.
//
// One loop so that all of them agree on what a line is: blank lines are skipped, line numbers
// count every line from 1, and a line that is not JSON is an emonet::Error naming the source
// and the line.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace emonet {

// Calls `fn(record, line_no)` for each non-blank line of `text`, in order. `source` names the
// file in errors. What a record must contain is the caller's business.
void for_each_jsonl_record(std::string_view text, const std::string& source,
                           const std::function<void(nlohmann::json& record, long line_no)>& fn);

}  // namespace emonet
