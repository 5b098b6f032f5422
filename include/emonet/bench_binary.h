// The EmoNet-Face Binary agreement analysis (spec §4 and §5.2): how often the experts'
// Yes/No votes on one (image, emotion) pair agree.
//
// Input is the authors' binary.csv layout `path,annotator,value,emotion` (value True/False,
// emotion any name taxonomy::lookup() accepts). Votes are grouped by (path, emotion).
// Pairs with more than one vote are typed as the authors do: 2 votes agree when 2:0 or
// 0:2, else disagree; 3 votes agree when 3:0 or 0:3, are partial when 2:1 or 1:2; other
// vote counts are "other". The per-emotion table is sorted by the share of agreement,
// descending (ties keep the taxonomy's canonical order).
//
// analyze_binary() is a pure function of its input file; it is thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace emonet::bench {

// One emotion's row of the §5.2 table (pairs with more than one vote only).
struct BinaryEmotionRow {
  std::string emotion;  // spelled as in the file (binary.csv says "Hopelessness")
  long pairs = 0;       // n: (image, emotion) pairs with > 1 vote
  long agree = 0;       // "3:0" column: unanimous pairs
  long partial = 0;     // "2:1" column
  long disagree = 0;    // "1-1" column
  long other = 0;       // more than 3 votes
  long two_votes = 0;
  long three_votes = 0;

  double share(long count) const { return pairs ? double(count) / double(pairs) : 0.0; }
};

// One line of the §4 vote-outcome table: pairs with `votes` votes of which `yes` said Yes.
struct BinaryOutcome {
  int votes = 0;
  int yes = 0;
  long pairs = 0;
  std::string label() const;  // "1 vote, No", "2 votes, 1–1", "3 votes, 2 Yes 1 No", ...
};

struct BinaryReport {
  std::string source;
  long rows = 0;
  long images = 0;
  long pairs = 0;                       // all (image, emotion) pairs
  long multi_vote_pairs = 0;            // pairs with > 1 vote (the §5.2 total)
  std::vector<BinaryEmotionRow> table;  // sorted as the authors sort
  std::vector<BinaryOutcome> outcomes;  // by votes, then yes, ascending
};

// Reads and analyses a binary.csv file. Malformed rows, values other than True/False and
// unknown emotion names throw emonet::Error naming the file and line.
BinaryReport analyze_binary(const std::string& path);

// Renderings used by `emonet bench binary`.
std::string binary_markdown(const BinaryReport& report);
std::string binary_json(const BinaryReport& report);
std::string binary_csv(const BinaryReport& report);

}  // namespace emonet::bench
