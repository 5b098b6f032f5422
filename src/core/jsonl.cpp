#include "emonet/jsonl.h"

#include "emonet/error.h"
#include "emonet/strings.h"

namespace emonet {

void for_each_jsonl_record(std::string_view text, const std::string& source,
                           const std::function<void(nlohmann::json& record, long line_no)>& fn) {
  std::size_t pos = 0;
  long line_no = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (trim(line).empty()) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(std::string("invalid JSON: ") + e.what(), {source, line_no, ""});
    }
    fn(record, line_no);
  }
}

}  // namespace emonet
