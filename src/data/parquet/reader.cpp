// ParquetFile: the mapped file, its footer, and row assembly from leaf columns by their
// definition and repetition levels (Dremel record assembly, one leaf at a time, merged).
#include <cmath>
#include <cstdio>
#include <cstring>

#include "data/parquet/reader_impl.h"
#include "emonet/error.h"
#include "emonet/parquet.h"

namespace emonet::parquet {
namespace detail {

FileMetadata read_footer(const std::uint8_t* data, std::size_t size, const std::string& file) {
  if (size < 12)
    throw Error("file of " + std::to_string(size) + " bytes is too short for Parquet",
                {file, 0, ""});
  if (std::memcmp(data, "PAR1", 4) != 0)
    throw Error("no PAR1 magic at byte offset 0: not a Parquet file", {file, 0, ""});
  if (std::memcmp(data + size - 4, "PAR1", 4) != 0)
    throw Error("no PAR1 magic at byte offset " + std::to_string(size - 4) +
                    ": file truncated or not Parquet",
                {file, 0, ""});
  std::uint32_t len;
  std::memcpy(&len, data + size - 8, 4);
  if (len > size - 12)
    throw Error("footer length " + std::to_string(len) + " at byte offset " +
                    std::to_string(size - 8) + " exceeds the file",
                {file, 0, ""});
  const std::size_t base = size - 8 - len;
  return parse_file_metadata(data + base, len, file, base);
}

namespace {

struct Leaf {
  const FileMetadata& meta;
  const ColumnDescriptor& col;
  const ColumnData& data;
  std::vector<int> def_at, rep_at;         // cumulative levels through path node i
  std::vector<std::uint32_t> value_index;  // per entry: index among present values
  const std::string& file;

  int def(std::size_t k) const {
    return data.def_levels.empty() ? col.max_def : data.def_levels[k];
  }
  int rep(std::size_t k) const { return data.rep_levels.empty() ? 0 : data.rep_levels[k]; }
  const SchemaNode& node(std::size_t i) const {
    return meta.schema[static_cast<std::size_t>(col.nodes[i])];
  }
  [[noreturn]] void fail(const std::string& m) const {
    throw Error(m, ErrorContext{file, 0, col.path});
  }

  static bool is_list(const SchemaNode& n) { return n.converted_type == 3 || n.logical_type == 3; }

  Value leaf_value(std::size_t k) const {
    Value v;
    const std::size_t i = value_index[k];
    switch (col.type) {
      case PhysicalType::Boolean:
        v.kind = Value::Kind::Bool;
        v.b = data.ints.at(i) != 0;
        break;
      case PhysicalType::Int32:
      case PhysicalType::Int64:
        v.kind = Value::Kind::Int;
        v.i = data.ints.at(i);
        break;
      case PhysicalType::Float:
      case PhysicalType::Double:
        v.kind = Value::Kind::Double;
        v.d = data.doubles.at(i);
        break;
      default:
        if (i + 1 >= data.offsets.size()) fail("fewer values than definition levels");
        v.kind = col.is_string ? Value::Kind::String : Value::Kind::Bytes;
        v.s = std::string(data.byte_value(i));
    }
    return v;
  }

  // Value of path node i for entries [b, e) of one instance of its parent.
  Value build(std::size_t i, std::size_t b, std::size_t e) const {
    const SchemaNode& n = node(i);
    if (n.repetition == Repetition::Repeated) {
      Value list;
      list.kind = Value::Kind::List;
      if (def(b) < def_at[i]) return list;
      std::size_t s = b;
      for (std::size_t k = b + 1; k <= e; ++k) {
        if (k == e || rep(k) <= rep_at[i]) {
          list.items.push_back(instance(i, s, k));
          s = k;
        }
      }
      return list;
    }
    if (n.repetition == Repetition::Optional && def(b) < def_at[i]) return Value{};
    return instance(i, b, e);
  }

  Value instance(std::size_t i, std::size_t b, std::size_t e) const {
    const SchemaNode& n = node(i);
    if (i + 1 == col.nodes.size()) {
      if (e - b != 1) fail("repetition levels repeat a non-repeated leaf");
      return leaf_value(b);
    }
    const SchemaNode& child = node(i + 1);
    if (is_list(n) && child.repetition == Repetition::Repeated) return build(i + 1, b, e);
    if (n.repetition == Repetition::Repeated && n.children.size() == 1 && n.parent > 0 &&
        is_list(meta.schema[static_cast<std::size_t>(n.parent)]))
      return build(i + 1, b, e);
    Value s;
    s.kind = Value::Kind::Struct;
    s.fields.emplace_back(child.name, build(i + 1, b, e));
    return s;
  }
};

// Merges the projection `from` (one leaf's view) into `into`.
void merge(Value& into, Value&& from) {
  if (into.kind == Value::Kind::Struct && from.kind == Value::Kind::Struct) {
    for (auto& [name, v] : from.fields) {
      bool found = false;
      for (auto& [n2, v2] : into.fields)
        if (n2 == name) {
          merge(v2, std::move(v));
          found = true;
          break;
        }
      if (!found) into.fields.emplace_back(name, std::move(v));
    }
  } else if (into.kind == Value::Kind::List && from.kind == Value::Kind::List) {
    for (std::size_t k = 0; k < from.items.size(); ++k) {
      if (k < into.items.size())
        merge(into.items[k], std::move(from.items[k]));
      else
        into.items.push_back(std::move(from.items[k]));
    }
  }
}

}  // namespace

std::vector<Value> assemble_rows(const FileMetadata& meta, std::int64_t num_rows,
                                 const std::vector<int>& columns,
                                 const std::vector<ColumnData>& data, const std::string& file) {
  std::vector<Value> rows(static_cast<std::size_t>(num_rows));
  for (auto& r : rows) r.kind = Value::Kind::Struct;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const ColumnDescriptor& col = meta.columns[static_cast<std::size_t>(columns[c])];
    Leaf leaf{meta, col, data[c], {}, {}, {}, file};
    int d = 0, r = 0;
    for (std::size_t i = 0; i < col.nodes.size(); ++i) {
      const SchemaNode& n = leaf.node(i);
      if (n.repetition != Repetition::Required) ++d;
      if (n.repetition == Repetition::Repeated) ++r;
      leaf.def_at.push_back(d);
      leaf.rep_at.push_back(r);
    }
    const std::size_t entries = data[c].num_entries;
    leaf.value_index.resize(entries);
    std::uint32_t next = 0;
    for (std::size_t k = 0; k < entries; ++k) {
      leaf.value_index[k] = next;
      if (leaf.def(k) == col.max_def) ++next;
    }
    if (next != data[c].num_values()) leaf.fail("definition levels and values disagree in count");
    std::size_t row = 0, b = 0;
    for (std::size_t k = 1; k <= entries; ++k) {
      if (k < entries && leaf.rep(k) != 0) continue;
      if (row >= rows.size()) leaf.fail("column holds more rows than its row group");
      Value top;
      top.kind = Value::Kind::Struct;
      top.fields.emplace_back(leaf.node(0).name, leaf.build(0, b, k));
      merge(rows[row++], std::move(top));
      b = k;
    }
    if (row != rows.size())
      leaf.fail("column holds " + std::to_string(row) + " rows, its row group " +
                std::to_string(rows.size()));
  }
  return rows;
}

}  // namespace detail

std::size_t ColumnData::num_values() const {
  switch (type) {
    case PhysicalType::Boolean:
    case PhysicalType::Int32:
    case PhysicalType::Int64:
      return ints.size();
    case PhysicalType::Float:
    case PhysicalType::Double:
      return doubles.size();
    default:
      return offsets.empty() ? 0 : offsets.size() - 1;
  }
}

const Value* Value::field(std::string_view name) const {
  for (const auto& [n, v] : fields)
    if (n == name) return &v;
  return nullptr;
}

namespace {
void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void to_json_into(std::string& out, const Value& v) {
  switch (v.kind) {
    case Value::Kind::Null:
      out += "null";
      return;
    case Value::Kind::Bool:
      out += v.b ? "true" : "false";
      return;
    case Value::Kind::Int:
      out += std::to_string(v.i);
      return;
    case Value::Kind::Double: {
      if (!std::isfinite(v.d)) {
        json_string(out, std::isnan(v.d) ? "NaN" : (v.d > 0 ? "Infinity" : "-Infinity"));
        return;
      }
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.d);
      out += buf;
      return;
    }
    case Value::Kind::String:
      json_string(out, v.s);
      return;
    case Value::Kind::Bytes: {
      static const char* hex = "0123456789abcdef";
      out += "{\"hex\":\"";
      for (unsigned char c : v.s) {
        out += hex[c >> 4];
        out += hex[c & 15];
      }
      out += "\"}";
      return;
    }
    case Value::Kind::List: {
      out += '[';
      for (std::size_t k = 0; k < v.items.size(); ++k) {
        if (k) out += ',';
        to_json_into(out, v.items[k]);
      }
      out += ']';
      return;
    }
    case Value::Kind::Struct: {
      out += '{';
      for (std::size_t k = 0; k < v.fields.size(); ++k) {
        if (k) out += ',';
        json_string(out, v.fields[k].first);
        out += ':';
        to_json_into(out, v.fields[k].second);
      }
      out += '}';
      return;
    }
  }
}
}  // namespace

std::string to_json(const Value& v) {
  std::string out;
  to_json_into(out, v);
  return out;
}

ParquetFile::ParquetFile(const std::string& path) : file_(path) {
  meta_ = detail::read_footer(file_.data(), file_.size(), file_.path());
}
ParquetFile::~ParquetFile() = default;
ParquetFile::ParquetFile(ParquetFile&&) noexcept = default;
ParquetFile& ParquetFile::operator=(ParquetFile&&) noexcept = default;

ColumnData ParquetFile::read_column(std::size_t row_group, std::size_t column) const {
  return detail::read_column_chunk(file_.data(), file_.size(), file_.path(), meta_, row_group,
                                   column);
}

std::vector<Value> ParquetFile::read_rows(std::size_t row_group, std::vector<int> columns) const {
  if (row_group >= meta_.row_groups.size())
    throw Error("row group " + std::to_string(row_group) + " out of range", {file_.path(), 0, ""});
  if (columns.empty())
    for (std::size_t c = 0; c < meta_.columns.size(); ++c) columns.push_back(static_cast<int>(c));
  std::vector<ColumnData> data;
  for (int c : columns) {
    if (c < 0 || static_cast<std::size_t>(c) >= meta_.columns.size())
      throw Error("column " + std::to_string(c) + " out of range", {file_.path(), 0, ""});
    data.push_back(read_column(row_group, static_cast<std::size_t>(c)));
  }
  return detail::assemble_rows(meta_, meta_.row_groups[row_group].num_rows, columns, data,
                               file_.path());
}

void decode_all(const std::uint8_t* data, std::size_t size) {
  const std::string name = "<memory>";
  const FileMetadata meta = detail::read_footer(data, size, name);
  std::vector<int> cols;
  for (std::size_t c = 0; c < meta.columns.size(); ++c) cols.push_back(static_cast<int>(c));
  for (std::size_t g = 0; g < meta.row_groups.size(); ++g) {
    std::vector<ColumnData> cd;
    for (std::size_t c = 0; c < meta.columns.size(); ++c)
      cd.push_back(detail::read_column_chunk(data, size, name, meta, g, c));
    if (meta.row_groups[g].num_rows <= (std::int64_t{1} << 24))
      detail::assemble_rows(meta, meta.row_groups[g].num_rows, cols, cd, name);
  }
}

}  // namespace emonet::parquet
