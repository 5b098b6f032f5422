// libFuzzer harness: the `data audit` readers of outside files — a predictions JSONL
// matched to dataset rows (first byte even), or a design / metadata CSV (odd), then the
// balance over what was read.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emonet/data_audit.h"
#include "emonet/error.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::vector<emonet::data::AuditRow> rows(3);
  rows[0].item.id = "images/a.png";
  rows[1].item.id = "b.png";
  rows[2].item.id = "x/y/c.jpg";
  rows[0].ethnicity = "Asian";
  rows[1].ethnicity = "White";
  try {
    if (data[0] & 1) {
      const auto design = emonet::data::load_design_rows(
          emonet::fuzz::input_file(data + 1, size - 1, "audit", ".csv"));
      emonet::data::audit_balance(rows, &design);
    } else {
      const auto s =
          emonet::data::load_scores(emonet::fuzz::input_file(data + 1, size - 1, "audit", ".jsonl"),
                                    rows, data[0] & 2 ? "raw" : "mean_subtracted");
      emonet::data::GroupOptions o;
      o.bootstrap = 5;
      o.permutations = 3;
      emonet::data::audit_scores(rows, s, o);
    }
  } catch (const emonet::Error&) {
  }
  return 0;
}
