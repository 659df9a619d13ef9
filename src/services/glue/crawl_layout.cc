#include "services/glue/crawl_layout.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "common/hash.h"
#include "common/encoding.h"

namespace tarn::glue {

namespace {

using query::DataFormat;
using query::InferredColumn;
using query::InferredSchema;

std::vector<std::string> Components(std::string_view rel) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < rel.size()) {
    size_t slash = rel.find('/', start);
    if (slash == std::string_view::npos) slash = rel.size();
    if (slash > start) out.emplace_back(rel.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

int IntegerRank(std::string_view t) {
  if (t == "tinyint") return 1;
  if (t == "smallint") return 2;
  if (t == "int") return 3;
  if (t == "bigint") return 4;
  return 0;
}

bool IsFloating(std::string_view t) { return t == "float" || t == "double"; }

std::string WiderType(const std::string& a, const std::string& b) {
  if (a == b) return a;
  const int ra = IntegerRank(a), rb = IntegerRank(b);
  if (ra && rb) return ra > rb ? a : b;
  if ((ra || IsFloating(a)) && (rb || IsFloating(b))) return "double";
  if ((a == "date" && b == "timestamp") || (a == "timestamp" && b == "date")) return "timestamp";
  return "string";
}

struct Folder {
  std::vector<std::string> parts;  // relative to the include path
  std::string path;                // relative to the bucket
  const DataFolder* data;
};

class Layout {
 public:
  Layout(std::string_view bucket, std::string_view include, std::string_view prefix)
      : bucket_(bucket), include_(include), prefix_(prefix) {}

  void Group(const std::vector<std::string>& at, const std::vector<const Folder*>& under) {
    std::set<size_t> depths;
    for (const Folder* f : under) depths.insert(f->parts.size() - at.size());
    bool compatible = true;
    InferredSchema merged = under.front()->data->schema;
    for (size_t i = 1; i < under.size() && compatible; ++i) {
      compatible = SchemasCompatible(merged, under[i]->data->schema);
      if (compatible) merged = MergeSchemas(merged, under[i]->data->schema);
    }
    if (compatible && depths.size() == 1) {
      AddTable(at, under, *depths.begin(), std::move(merged));
      return;
    }
    std::map<std::string, std::vector<const Folder*>> children;
    std::vector<const Folder*> direct;
    for (const Folder* f : under) {
      if (f->parts.size() == at.size()) {
        direct.push_back(f);
      } else {
        children[f->parts[at.size()]].push_back(f);
      }
    }
    if (!direct.empty()) AddTable(at, direct, 0, direct.front()->data->schema);
    for (auto& [name, folders] : children) {
      std::vector<std::string> child = at;
      child.push_back(name);
      Group(child, folders);
    }
  }

  std::vector<TableLayout> Take() {
    // Unique names: a clash keeps the first (by root) and suffixes the rest.
    std::sort(tables_.begin(), tables_.end(),
              [](const TableLayout& a, const TableLayout& b) { return a.root < b.root; });
    std::set<std::string> used;
    for (TableLayout& t : tables_) {
      if (!used.insert(t.name).second) {
        t.name += "_" + HexEncode(Md5(t.root)).substr(0, 8);
        used.insert(t.name);
      }
    }
    return std::move(tables_);
  }

 private:
  void AddTable(const std::vector<std::string>& at, const std::vector<const Folder*>& folders,
                size_t levels, InferredSchema schema) {
    TableLayout t;
    t.root = std::string(include_);
    for (const std::string& p : at) t.root += p + "/";
    std::string base;
    if (!at.empty()) {
      base = at.back();
    } else {
      std::vector<std::string> inc = Components(include_);
      base = inc.empty() ? std::string(bucket_) : inc.back();
    }
    t.name = CleanTableName(std::string(prefix_) + base);
    t.schema = std::move(schema);
    // Partition keys, level by level.
    for (size_t level = 0; level < levels; ++level) {
      std::string key;
      bool named = true;
      for (const Folder* f : folders) {
        const std::string& part = f->parts[at.size() + level];
        const size_t eq = part.find('=');
        if (eq == std::string::npos || eq == 0) {
          named = false;
          break;
        }
        std::string name = CleanTableName(part.substr(0, eq));
        if (key.empty()) key = name;
        if (name != key) {
          named = false;
          break;
        }
      }
      t.partition_keys.push_back(named ? key : "partition_" + std::to_string(level));
    }
    for (const Folder* f : folders) {
      t.objects += f->data->objects;
      t.bytes += f->data->bytes;
      if (levels == 0) continue;
      TableLayout::Partition p;
      p.folder = f->path;
      for (size_t level = 0; level < levels; ++level) {
        const std::string& part = f->parts[at.size() + level];
        const size_t eq = part.find('=');
        const bool named = t.partition_keys[level].rfind("partition_", 0) != 0;
        p.values.push_back(named && eq != std::string::npos ? part.substr(eq + 1) : part);
      }
      t.partitions.push_back(std::move(p));
    }
    std::sort(t.partitions.begin(), t.partitions.end(),
              [](const auto& a, const auto& b) { return a.folder < b.folder; });
    tables_.push_back(std::move(t));
  }

  std::string_view bucket_, include_, prefix_;
  std::vector<TableLayout> tables_;
};

// Glue's exclusion glob; see the header.
bool Match(std::string_view p, std::string_view s) {
  if (p.empty()) return s.empty();
  if (p.substr(0, 2) == "**") {
    for (size_t k = 0; k <= s.size(); ++k) {
      if (Match(p.substr(2), s.substr(k))) return true;
    }
    return false;
  }
  switch (p[0]) {
    case '*':
      for (size_t k = 0; k <= s.size(); ++k) {
        if (Match(p.substr(1), s.substr(k))) return true;
        if (k < s.size() && s[k] == '/') break;
      }
      return false;
    case '?':
      return !s.empty() && s[0] != '/' && Match(p.substr(1), s.substr(1));
    case '[': {
      const size_t close = p.find(']', 2);
      if (close == std::string_view::npos) break;  // a literal '['
      if (s.empty() || s[0] == '/') return false;
      std::string_view cls = p.substr(1, close - 1);
      const bool negate = !cls.empty() && (cls[0] == '!' || cls[0] == '^');
      if (negate) cls.remove_prefix(1);
      bool hit = false;
      for (size_t i = 0; i < cls.size(); ++i) {
        if (i + 2 < cls.size() && cls[i + 1] == '-') {
          hit |= cls[i] <= s[0] && s[0] <= cls[i + 2];
          i += 2;
        } else {
          hit |= cls[i] == s[0];
        }
      }
      return hit != negate && Match(p.substr(close + 1), s.substr(1));
    }
    case '{': {
      const size_t close = p.find('}');
      if (close == std::string_view::npos) break;
      std::string_view alts = p.substr(1, close - 1);
      std::string_view rest = p.substr(close + 1);
      size_t start = 0;
      while (true) {
        const size_t comma = alts.find(',', start);
        std::string candidate(alts.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                                 : comma - start));
        candidate += rest;
        if (Match(candidate, s)) return true;
        if (comma == std::string_view::npos) return false;
        start = comma + 1;
      }
    }
    case '\\':
      if (p.size() > 1) return !s.empty() && s[0] == p[1] && Match(p.substr(2), s.substr(1));
      break;
    default:
      break;
  }
  return !s.empty() && s[0] == p[0] && Match(p.substr(1), s.substr(1));
}

}  // namespace

bool SchemasCompatible(const InferredSchema& a, const InferredSchema& b) {
  if (a.format != b.format || a.format == DataFormat::kUnknown) return false;
  if (a.format == DataFormat::kCsv) {
    if (a.delimiter != b.delimiter || a.header != b.header ||
        a.columns.size() != b.columns.size()) {
      return false;
    }
    if (!a.header) return true;
  }
  std::set<std::string> names;
  for (const InferredColumn& c : a.columns) names.insert(c.name);
  size_t common = 0;
  for (const InferredColumn& c : b.columns) common += names.count(c.name);
  const size_t most = std::max(a.columns.size(), b.columns.size());
  return most == 0 || common * 10 >= most * 7;
}

InferredSchema MergeSchemas(const InferredSchema& a, const InferredSchema& b) {
  InferredSchema out = a;
  for (const InferredColumn& c : b.columns) {
    auto it = std::find_if(out.columns.begin(), out.columns.end(),
                           [&](const InferredColumn& o) { return o.name == c.name; });
    if (it == out.columns.end()) {
      out.columns.push_back(c);
    } else {
      it->type = WiderType(it->type, c.type);
    }
  }
  return out;
}

bool ExclusionMatches(std::string_view pattern, std::string_view relative_key) {
  return Match(pattern, relative_key);
}

std::string CleanTableName(std::string_view name) {
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
  }
  return out;
}

std::vector<TableLayout> LayoutTables(std::string_view bucket, std::string_view include,
                                      const std::map<std::string, DataFolder>& folders,
                                      std::string_view table_prefix) {
  std::vector<Folder> all;
  for (const auto& [path, data] : folders) {
    if (path.compare(0, include.size(), include) != 0) continue;
    if (data.schema.format == DataFormat::kUnknown) continue;
    all.push_back(Folder{Components(std::string_view(path).substr(include.size())), path, &data});
  }
  if (all.empty()) return {};
  std::vector<const Folder*> under;
  for (const Folder& f : all) under.push_back(&f);
  Layout layout(bucket, include, table_prefix);
  layout.Group({}, under);
  return layout.Take();
}

}  // namespace tarn::glue
