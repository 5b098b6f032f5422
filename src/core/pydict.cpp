#include "emonet/pydict.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "emonet/error.h"

namespace emonet {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  PyDictEntries parse() {
    PyDictEntries out;
    skip_ws();
    expect('{');
    skip_ws();
    if (peek() == '}') {
      ++i_;
      finish();
      return out;
    }
    for (;;) {
      skip_ws();
      std::string key = parse_string();
      skip_ws();
      expect(':');
      skip_ws();
      double value = parse_value();
      out.emplace_back(std::move(key), value);
      skip_ws();
      char c = peek();
      if (c == ',') {
        ++i_;
        skip_ws();
        if (peek() == '}') {  // trailing comma
          ++i_;
          break;
        }
        continue;
      }
      if (c == '}') {
        ++i_;
        break;
      }
      fail("expected ',' or '}'");
    }
    finish();
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("invalid Python dict literal at character " + std::to_string(i_ + 1) + ": " + what);
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  void finish() {
    skip_ws();
    if (i_ != s_.size()) fail("unexpected text after the closing '}'");
  }

  std::string parse_string() {
    char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string key");
    ++i_;
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      char c = s_[i_++];
      if (c == q) break;
      if (c == '\\') {
        if (i_ >= s_.size()) fail("unterminated escape");
        char e = s_[i_++];
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case '\\':
            out += '\\';
            break;
          case '\'':
            out += '\'';
            break;
          case '"':
            out += '"';
            break;
          case 'x': {
            if (i_ + 2 > s_.size()) fail("bad \\x escape");
            unsigned v = 0;
            auto r = std::from_chars(s_.data() + i_, s_.data() + i_ + 2, v, 16);
            if (r.ptr != s_.data() + i_ + 2) fail("bad \\x escape");
            append_utf8(out, v);
            i_ += 2;
            break;
          }
          case 'u': {
            if (i_ + 4 > s_.size()) fail("bad \\u escape");
            unsigned v = 0;
            auto r = std::from_chars(s_.data() + i_, s_.data() + i_ + 4, v, 16);
            if (r.ptr != s_.data() + i_ + 4) fail("bad \\u escape");
            append_utf8(out, v);
            i_ += 4;
            break;
          }
          default:
            fail(std::string("unsupported escape \\") + e);
        }
      } else {
        out += c;
      }
    }
    return out;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool match_word(std::string_view w) {
    if (s_.substr(i_, w.size()) == w) {
      i_ += w.size();
      return true;
    }
    return false;
  }

  double parse_value() {
    if (match_word("True")) return 1.0;
    if (match_word("False")) return 0.0;
    if (match_word("None")) return std::numeric_limits<double>::quiet_NaN();
    bool neg = false;
    std::size_t start = i_;
    if (peek() == '-' || peek() == '+') {
      neg = peek() == '-';
      ++i_;
    }
    if (match_word("inf")) return neg ? -HUGE_VAL : HUGE_VAL;
    if (match_word("nan")) return std::numeric_limits<double>::quiet_NaN();
    std::size_t num_start = i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '_' ||
          ((c == '-' || c == '+') && (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E'))) {
        ++i_;
      } else {
        break;
      }
    }
    if (i_ == num_start) {
      i_ = start;
      fail("expected a number, True, False or None");
    }
    std::string digits;
    for (std::size_t k = num_start; k < i_; ++k)
      if (s_[k] != '_') digits += s_[k];
    double v = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) {
      i_ = start;
      fail("malformed number");
    }
    return neg ? -v : v;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

PyDictEntries parse_python_dict(std::string_view text) {
  return Parser(text).parse();
}

std::string format_double_shortest(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

std::string format_python_dict(const PyDictEntries& entries) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : entries) {
    if (!first) out += ", ";
    first = false;
    out += '\'';
    for (char c : k) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    out += "': ";
    if (std::isnan(v)) {
      out += "None";
    } else if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
      out += std::to_string(static_cast<long long>(v));
    } else {
      std::string s = format_double_shortest(v);
      if (s.find_first_of(".en") == std::string::npos) s += ".0";
      out += s;
    }
  }
  out += "}";
  return out;
}

}  // namespace emonet
