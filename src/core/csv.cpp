#include "emonet/csv.h"

#include <algorithm>
#include <fstream>
#include <ostream>
#include <sstream>

#include "emonet/error.h"
#include "emonet/files.h"

namespace emonet {

CsvReader CsvReader::open(const std::string& path, char separator) {
  return CsvReader(read_file(path), path, separator);
}

CsvReader::CsvReader(std::string text, std::string source, char separator)
    : text_(std::move(text)), source_(std::move(source)), sep_(separator) {
  if (text_.size() >= 3 && static_cast<unsigned char>(text_[0]) == 0xEF &&
      static_cast<unsigned char>(text_[1]) == 0xBB &&
      static_cast<unsigned char>(text_[2]) == 0xBF) {
    pos_ = 3;
  }
}

const std::vector<std::string>& CsvReader::read_header() {
  CsvRecord rec;
  if (!next(rec)) throw Error("empty CSV file: no header row", {source_, 1, ""});
  for (std::size_t i = 0; i < rec.fields.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (rec.fields[i] == rec.fields[j]) {
        throw Error("duplicate column name in header", {source_, rec.line, rec.fields[i]});
      }
    }
  }
  header_ = std::move(rec.fields);
  return header_;
}

std::optional<std::size_t> CsvReader::find_column(std::string_view name) const {
  auto it = std::find(header_.begin(), header_.end(), name);
  if (it == header_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - header_.begin());
}

std::size_t CsvReader::column(std::string_view name) const {
  if (auto idx = find_column(name)) return *idx;
  std::string available;
  for (const auto& h : header_) available += (available.empty() ? "" : ", ") + h;
  throw Error("missing column '" + std::string(name) + "' (columns: " + available + ")",
              {source_, 1, std::string(name)});
}

bool CsvReader::next(CsvRecord& record) {
  record.fields.clear();
  const std::size_t n = text_.size();
  // Skip blank lines between records.
  while (pos_ < n && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= n) return false;
  record.line = line_;

  std::string field;
  for (;;) {
    field.clear();
    if (pos_ < n && text_[pos_] == '"') {
      const long quote_line = line_;
      ++pos_;
      for (;;) {
        if (pos_ >= n) {
          throw Error(
              "unterminated quoted field (opened on line " + std::to_string(quote_line) + ")",
              {source_, record.line, ""});
        }
        char c = text_[pos_];
        if (c == '"') {
          if (pos_ + 1 < n && text_[pos_ + 1] == '"') {
            field += '"';
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        if (c == '\n') ++line_;
        field += c;
        ++pos_;
      }
      if (pos_ < n && text_[pos_] != sep_ && text_[pos_] != '\n' && text_[pos_] != '\r') {
        throw Error("unexpected character after closing quote in field " +
                        std::to_string(record.fields.size() + 1),
                    {source_, line_, ""});
      }
    } else {
      std::size_t start = pos_;
      while (pos_ < n && text_[pos_] != sep_ && text_[pos_] != '\n' && text_[pos_] != '\r') {
        if (text_[pos_] == '"') {
          throw Error("quote character inside an unquoted field " +
                          std::to_string(record.fields.size() + 1),
                      {source_, line_, ""});
        }
        ++pos_;
      }
      field.assign(text_, start, pos_ - start);
    }
    record.fields.push_back(field);
    if (pos_ < n && text_[pos_] == sep_) {
      ++pos_;
      continue;
    }
    // End of record: CRLF, LF, lone CR or end of input.
    if (pos_ < n && text_[pos_] == '\r') ++pos_;
    if (pos_ < n && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
    break;
  }
  if (!header_.empty() && record.fields.size() != header_.size()) {
    throw Error("expected " + std::to_string(header_.size()) + " fields, found " +
                    std::to_string(record.fields.size()),
                {source_, record.line, ""});
  }
  return true;
}

std::string CsvWriter::escape(std::string_view field, char separator) {
  bool needs = false;
  for (char c : field) {
    if (c == separator || c == '"' || c == '\n' || c == '\r') {
      needs = true;
      break;
    }
  }
  if (!field.empty() && (field.front() == ' ' || field.back() == ' ')) needs = true;
  if (!needs) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void CsvWriter::write_row(const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out_ << sep_;
    out_ << escape(fields[i], sep_);
  }
  out_ << '\n';
}

void CsvWriter::write_row(std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (auto f : fields) {
    if (!first) out_ << sep_;
    first = false;
    out_ << escape(f, sep_);
  }
  out_ << '\n';
}

}  // namespace emonet
