#include <gtest/gtest.h>

#include "emonet/error.h"
#include "emonet/strings.h"

namespace emonet {
namespace {

TEST(Error, MessageNamesFileLineAndField) {
  Error e("not a number", {"data.csv", 12, "value"});
  EXPECT_STREQ(e.what(), "data.csv:12: field 'value': not a number");
  EXPECT_EQ(e.message(), "not a number");
  EXPECT_STREQ(Error("x").what(), "x");
  EXPECT_STREQ(Error("x", {"", 4, ""}).what(), "line 4: x");
}

TEST(Error, OuterLayersAddContextWithoutOverwriting) {
  Error inner("bad", {"", 0, "rating"});
  Error outer = inner.with_file("hq.csv").with_line(7).with_field("ignored");
  EXPECT_STREQ(outer.what(), "hq.csv:7: field 'rating': bad");
}

TEST(Strings, ParseNumbersStrictly) {
  EXPECT_EQ(parse_double(" 2.5 ", "v"), 2.5);
  EXPECT_EQ(parse_int("-3", "v"), -3);
  EXPECT_THROW(parse_double("2.5x", "v"), Error);
  EXPECT_THROW(parse_double("", "v"), Error);
  EXPECT_THROW(parse_int("1.5", "v"), Error);
  try {
    parse_double("abc", "column 'value'");
  } catch (const Error& e) {
    EXPECT_EQ(e.context().field, "column 'value'");
  }
}

TEST(Strings, ClosestNamesPrefersSubstringsThenEditDistance) {
  std::vector<std::string> c = {"Anger", "Amusement", "Awe", "Contempt", "Contentment"};
  auto close = closest_names("Contentmnt", c, 2);
  ASSERT_EQ(close.size(), 2u);
  EXPECT_EQ(close[0], "Contentment");
  EXPECT_EQ(closest_names("anger", c, 1)[0], "Anger");
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(Strings, SplitJoinTrim) {
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(join({"a", "b"}, ", "), "a, b");
  EXPECT_EQ(trim("  x y \t"), "x y");
}

}  // namespace
}  // namespace emonet
