// Parquet decode throughput of emonet's reader (bench/parquet_bench.sh runs it next to
// DuckDB on the same file): every leaf column of every row group decoded (levels and
// values into memory, as `data info` and `data fetch` do), one thread, ITERS times after
// a warm-up pass; `--rows` also assembles the rows as Value trees (what `data fetch` reads).
//   parquet_bench FILE [ITERS] [--rows]
// Prints one JSON line: {"seconds": [...], "rows": N, "bytes": FILE_SIZE, "values": M}.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "emonet/error.h"
#include "emonet/parquet.h"

namespace {

struct Pass {
  std::uint64_t rows = 0, values = 0;
};

Pass decode_all_columns(const emonet::parquet::ParquetFile& f, bool rows) {
  Pass p;
  const auto& m = f.metadata();
  for (std::size_t g = 0; g < m.row_groups.size(); ++g) {
    p.rows += static_cast<std::uint64_t>(m.row_groups[g].num_rows);
    if (rows) {
      p.values += f.read_rows(g).size();
      continue;
    }
    for (std::size_t c = 0; c < m.columns.size(); ++c) p.values += f.read_column(g, c).num_values();
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: parquet_bench FILE [ITERS] [--rows]\n");
    return 2;
  }
  const std::string file = argv[1];
  const int iters = argc > 2 && argv[2][0] != '-' ? std::stoi(argv[2]) : 5;
  bool rows = false;
  for (int i = 2; i < argc; ++i) rows = rows || std::strcmp(argv[i], "--rows") == 0;
  try {
    const emonet::parquet::ParquetFile f(file);
    Pass p = decode_all_columns(f, rows);  // warm-up: the page cache and the allocator
    std::string seconds;
    for (int k = 0; k < iters; ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      p = decode_all_columns(f, rows);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      seconds += (k ? ", " : "") + std::to_string(s);
    }
    std::printf("{\"seconds\": [%s], \"rows\": %llu, \"bytes\": %zu, \"values\": %llu}\n",
                seconds.c_str(), static_cast<unsigned long long>(p.rows), f.file_size(),
                static_cast<unsigned long long>(p.values));
  } catch (const emonet::Error& e) {
    std::fprintf(stderr, "parquet_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
