#include "emonet/error.h"

namespace emonet {

std::string format_error(const std::string& message, const ErrorContext& context) {
  std::string out;
  if (!context.file.empty()) {
    out += context.file;
    if (context.line > 0) out += ":" + std::to_string(context.line);
    out += ": ";
  } else if (context.line > 0) {
    out += "line " + std::to_string(context.line) + ": ";
  }
  if (!context.field.empty()) out += "field '" + context.field + "': ";
  out += message;
  return out;
}

Error::Error(const std::string& message, ErrorContext context)
    : std::runtime_error(format_error(message, context)),
      message_(message),
      context_(std::move(context)) {}

Error Error::with_file(const std::string& file) const {
  ErrorContext c = context_;
  if (c.file.empty()) c.file = file;
  return Error(message_, c);
}

Error Error::with_line(long line) const {
  ErrorContext c = context_;
  if (c.line == 0) c.line = line;
  return Error(message_, c);
}

Error Error::with_field(const std::string& field) const {
  ErrorContext c = context_;
  if (c.field.empty()) c.field = field;
  return Error(message_, c);
}

}  // namespace emonet
