// Internal entry points shared by the reader's translation units.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "emonet/parquet.h"

namespace emonet::parquet::detail {

// Decodes column `ci` of row group `rg` of an in-memory file of `size` bytes.
ColumnData read_column_chunk(const std::uint8_t* data, std::size_t size, const std::string& file,
                             const FileMetadata& meta, std::size_t rg, std::size_t ci);

// Parses the trailer and footer of an in-memory file.
FileMetadata read_footer(const std::uint8_t* data, std::size_t size, const std::string& file);

// Assembles rows from decoded leaf columns (see ParquetFile::read_rows).
std::vector<Value> assemble_rows(const FileMetadata& meta, std::int64_t num_rows,
                                 const std::vector<int>& columns,
                                 const std::vector<ColumnData>& data, const std::string& file);

}  // namespace emonet::parquet::detail
