// Python dict literals as in hq.csv's `annotations` column.
#include "emonet/pydict.h"

#include <gtest/gtest.h>

#include <cmath>

#include "emonet/error.h"

namespace emonet {
namespace {

TEST(PyDict, ParsesKeysInOrderWithIntsAndFloats) {
  auto d = parse_python_dict(
      "{'Positive High-Energy Emotions|Amusement': 3, \"Negative Low-Energy Emotions|Jealousy & "
      "Envy\": 0, 'Extra Dimensions|Valence': -1.25, 'x': 2.5e-3}");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].first, "Positive High-Energy Emotions|Amusement");
  EXPECT_EQ(d[0].second, 3.0);
  EXPECT_EQ(d[1].first, "Negative Low-Energy Emotions|Jealousy & Envy");
  EXPECT_EQ(d[2].second, -1.25);
  EXPECT_DOUBLE_EQ(d[3].second, 0.0025);
}

TEST(PyDict, EmptyTrailingCommaBoolsNoneAndEscapes) {
  EXPECT_TRUE(parse_python_dict("{}").empty());
  auto d = parse_python_dict("{ 'a' : True , 'b': False, 'c': None, 'it\\'s': 1, }");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].second, 1.0);
  EXPECT_EQ(d[1].second, 0.0);
  EXPECT_TRUE(std::isnan(d[2].second));
  EXPECT_EQ(d[3].first, "it's");
}

TEST(PyDict, RejectsCodeAndMalformedText) {
  EXPECT_THROW(parse_python_dict("{'a': __import__('os')}"), Error);
  EXPECT_THROW(parse_python_dict("{'a': [1, 2]}"), Error);
  EXPECT_THROW(parse_python_dict("{'a': 1"), Error);
  EXPECT_THROW(parse_python_dict("{'a' 1}"), Error);
  EXPECT_THROW(parse_python_dict("{'a': 1} extra"), Error);
  EXPECT_THROW(parse_python_dict("{a: 1}"), Error);
  EXPECT_THROW(parse_python_dict(""), Error);
}

TEST(PyDict, FormatRoundTrips) {
  PyDictEntries e = {{"G|A", 3}, {"G|B's", 0.1}, {"G|C", -2.5}};
  const std::string s = format_python_dict(e);
  EXPECT_EQ(s, "{'G|A': 3, 'G|B\\'s': 0.1, 'G|C': -2.5}");
  EXPECT_EQ(parse_python_dict(s), e);
}

TEST(PyDict, ShortestDoubleRoundTrips) {
  for (double v : {0.1, 1.0 / 3.0, 5.481403350830078, -1e-12, 123456789.125}) {
    EXPECT_EQ(std::stod(format_double_shortest(v)), v);
  }
  EXPECT_EQ(format_double_shortest(0.1), "0.1");
}

}  // namespace
}  // namespace emonet
