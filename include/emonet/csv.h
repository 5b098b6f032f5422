// CSV reading and writing (RFC 4180 with the variations real files have).
//
// Reader: quoted fields with doubled quotes, embedded newlines inside quotes, LF or CRLF
// line ends, a UTF-8 byte-order mark (dropped), bytes passed through unchanged (UTF-8
// safe). A malformed record (unterminated quote, text after a closing quote, wrong
// number of fields) throws emonet::Error naming the source and the line where the
// record starts. The whole input is held in memory: CSV files in this project are at
// most a few hundred MB and parsing from a buffer is several times faster than streams.
//
// Writer: quotes a field only when it must (separator, quote, CR or LF, leading or
// trailing space), always writes LF line ends.
//
// Neither class is thread-safe; use one instance per thread.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emonet {

struct CsvRecord {
  std::vector<std::string> fields;
  long line = 0;  // 1-based line where the record starts

  std::size_t size() const { return fields.size(); }
  const std::string& operator[](std::size_t i) const { return fields[i]; }
};

class CsvReader {
 public:
  // Reads the whole file; throws Error if it cannot be opened.
  static CsvReader open(const std::string& path, char separator = ',');
  // Parses text already in memory; `source` names it in error messages.
  CsvReader(std::string text, std::string source, char separator = ',');

  // Reads the first record as the header. Throws on an empty input or duplicate names.
  const std::vector<std::string>& read_header();
  const std::vector<std::string>& header() const { return header_; }
  // Index of a header column; throws an Error listing the available columns.
  std::size_t column(std::string_view name) const;
  std::optional<std::size_t> find_column(std::string_view name) const;

  // Next record, or false at the end. With a header read, records with a different
  // field count are errors. Blank lines are skipped.
  bool next(CsvRecord& record);

  const std::string& source() const { return source_; }

 private:
  std::string text_;
  std::string source_;
  char sep_;
  std::size_t pos_ = 0;
  long line_ = 1;
  std::vector<std::string> header_;
};

class CsvWriter {
 public:
  explicit CsvWriter(std::ostream& out, char separator = ',') : out_(out), sep_(separator) {}
  void write_row(const std::vector<std::string>& fields);
  void write_row(std::initializer_list<std::string_view> fields);

  // Quotes a single field if needed.
  static std::string escape(std::string_view field, char separator = ',');

 private:
  std::ostream& out_;
  char sep_;
};

}  // namespace emonet
