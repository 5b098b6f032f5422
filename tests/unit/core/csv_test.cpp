// CSV reader/writer behaviour: quoting, embedded newlines, CRLF, BOM, UTF-8, errors.
#include "emonet/csv.h"

#include <gtest/gtest.h>

#include <sstream>

#include "emonet/error.h"

namespace emonet {
namespace {

std::vector<CsvRecord> read_all(const std::string& text, bool header = false) {
  CsvReader r(text, "t.csv");
  if (header) r.read_header();
  std::vector<CsvRecord> out;
  CsvRecord rec;
  while (r.next(rec)) out.push_back(rec);
  return out;
}

TEST(Csv, PlainFieldsAndLineNumbers) {
  auto rows = read_all("a,b,c\n1,2,3\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(rows[0].line, 1);
  EXPECT_EQ(rows[1].line, 2);
}

TEST(Csv, QuotedFieldsWithSeparatorsQuotesAndNewlines) {
  auto rows = read_all("x,\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\"\nnext,1,2,3\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1], "a,b");
  EXPECT_EQ(rows[0][2], "say \"hi\"");
  EXPECT_EQ(rows[0][3], "line1\nline2");
  EXPECT_EQ(rows[1].line, 3);  // the embedded newline advanced the line count
}

TEST(Csv, CrLfAndMissingFinalNewline) {
  auto rows = read_all("a,b\r\n1,2\r\n3,4");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1][1], "2");
  EXPECT_EQ(rows[2][1], "4");
}

TEST(Csv, EmptyFieldsAndBlankLines) {
  auto rows = read_all("a,,c\n\n,,\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1], "");
  EXPECT_EQ(rows[1].size(), 3u);
  EXPECT_EQ(rows[1].line, 3);
}

TEST(Csv, Utf8PassesThroughAndBomIsDropped) {
  auto rows =
      read_all("\xEF\xBB\xBFname,emotion\nJos\xC3\xA9,\"\xE6\x84\x9F\xE6\x83\x85\"\n", true);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "Jos\xC3\xA9");
  EXPECT_EQ(rows[0][1], "\xE6\x84\x9F\xE6\x83\x85");
}

TEST(Csv, HeaderColumnsAndMissingColumnError) {
  CsvReader r("path,annotator,value\n", "h.csv");
  r.read_header();
  EXPECT_EQ(r.column("annotator"), 1u);
  try {
    r.column("emotion");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing column 'emotion'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("path, annotator, value"), std::string::npos);
  }
}

TEST(Csv, WrongFieldCountNamesTheLine) {
  try {
    read_all("a,b\n1,2\n3\n", true);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().line, 3);
    EXPECT_EQ(e.context().file, "t.csv");
    EXPECT_NE(std::string(e.what()).find("t.csv:3:"), std::string::npos);
  }
}

TEST(Csv, UnterminatedQuoteNamesTheRecordStart) {
  try {
    read_all("a,b\n1,\"open\nstill open\n");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().line, 2);
    EXPECT_NE(std::string(e.what()).find("unterminated"), std::string::npos);
  }
}

TEST(Csv, GarbageAfterClosingQuoteAndStrayQuoteAreErrors) {
  EXPECT_THROW(read_all("\"ab\"c,d\n"), Error);
  EXPECT_THROW(read_all("ab\"c,d\n"), Error);
}

TEST(Csv, DuplicateHeaderIsAnError) {
  EXPECT_THROW(read_all("a,b,a\n", true), Error);
}

TEST(Csv, WriterQuotesOnlyWhenNeededAndRoundTrips) {
  std::ostringstream out;
  CsvWriter w(out);
  std::vector<std::string> row = {"plain", "a,b", "q\"uote", "multi\nline", " pad", "", "ünï"};
  w.write_row(row);
  EXPECT_EQ(out.str(), "plain,\"a,b\",\"q\"\"uote\",\"multi\nline\",\" pad\",,ünï\n");
  auto back = read_all(out.str());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].fields, row);
}

TEST(Csv, OpenMissingFileNamesThePath) {
  try {
    CsvReader::open("/nonexistent/dir/x.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.context().file, "/nonexistent/dir/x.csv");
  }
}

}  // namespace
}  // namespace emonet
