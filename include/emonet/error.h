// emonet::Error — the one error type of the library.
//
// Every failure the user can cause (bad file, malformed row, unknown name, corrupt
// weights, hostile request) is reported as an Error whose message names where the
// problem is: the file, the line (1-based) and the field, as far as they are known.
// The CLI prints what() and exits non-zero. Errors are plain values: cheap to copy,
// safe to throw across threads.
#pragma once

#include <stdexcept>
#include <string>

namespace emonet {

// Where a problem was found. Empty / zero members are unknown and left out of messages.
struct ErrorContext {
  std::string file;   // path or logical source name ("<stdin>", "request body")
  long line = 0;      // 1-based line number, 0 = unknown
  std::string field;  // column, JSON key, tensor name, form field ...
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorContext context = {});

  // The message without the location prefix.
  const std::string& message() const { return message_; }
  const ErrorContext& context() const { return context_; }

  // Copies of this error with more context filled in (existing values win), for
  // re-throwing from an outer layer that knows the file while the inner one knew the line.
  Error with_file(const std::string& file) const;
  Error with_line(long line) const;
  Error with_field(const std::string& field) const;

 private:
  std::string message_;
  ErrorContext context_;
};

// "file:line: field 'x': message" with unknown parts omitted.
std::string format_error(const std::string& message, const ErrorContext& context);

}  // namespace emonet
