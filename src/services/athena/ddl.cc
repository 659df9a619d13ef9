#include "services/athena/ddl.h"

#include <cctype>

namespace tarn::athena {

namespace {

using Json = nlohmann::json;

struct Token {
  enum Type { kWord, kQuotedName, kString, kPunct, kEnd } type = kEnd;
  std::string text;   // a word as written; a string's or quoted name's content
  size_t offset = 0;  // in the statement, for messages
};

Result<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    Token t;
    t.offset = i;
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      t.type = Token::kWord;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (c == '\'' || c == '"' || c == '`') {
      size_t j = i + 1;
      std::string text;
      while (true) {
        if (j >= s.size()) return InvalidArgument("unterminated quote starting at offset " + std::to_string(i));
        if (s[j] == c) {
          if (j + 1 < s.size() && s[j + 1] == c) {
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += s[j++];
      }
      t.type = c == '\'' ? Token::kString : Token::kQuotedName;
      t.text = std::move(text);
      i = j + 1;
    } else {
      t.type = Token::kPunct;
      t.text = std::string(1, c);
      ++i;
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.offset = s.size();
  out.push_back(end);
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Parser {
 public:
  Parser(std::string_view sql, std::vector<Token> tokens) : sql_(sql), t_(std::move(tokens)) {}

  Result<Ddl> Parse() {
    Ddl d;
    if (Accept("CREATE")) {
      if (Accept("OR")) {
        TARN_RETURN_IF_ERROR(Expect("REPLACE"));
        d.or_replace = true;
        TARN_RETURN_IF_ERROR(Expect("VIEW"));
        return View(d);
      }
      if (Accept("VIEW")) return View(d);
      if (Accept("DATABASE") || Accept("SCHEMA")) {
        d.kind = Ddl::Kind::kCreateDatabase;
        d.if_exists = IfNotExists();
        TARN_ASSIGN_OR_RETURN(d.name, Name());
        return End(d);
      }
      const bool external = Accept("EXTERNAL");
      if (!Accept("TABLE")) return Error("expected EXTERNAL TABLE, VIEW or DATABASE after CREATE");
      d.kind = Ddl::Kind::kCreateTable;
      d.if_exists = IfNotExists();
      TARN_RETURN_IF_ERROR(QualifiedName(&d));
      if (!external && (Peek("AS") || Peek("WITH"))) return TableAs(d);
      return CreateTable(d);
    }
    if (Accept("DROP")) {
      if (Accept("TABLE")) {
        d.kind = Ddl::Kind::kDropTable;
      } else if (Accept("VIEW")) {
        d.kind = Ddl::Kind::kDropView;
      } else if (Accept("DATABASE") || Accept("SCHEMA")) {
        d.kind = Ddl::Kind::kDropDatabase;
        d.if_exists = IfExists();
        TARN_ASSIGN_OR_RETURN(d.name, Name());
        d.cascade = Accept("CASCADE");
        if (!d.cascade) Accept("RESTRICT");
        return End(d);
      } else {
        return Error("expected TABLE, VIEW or DATABASE after DROP");
      }
      d.if_exists = IfExists();
      TARN_RETURN_IF_ERROR(QualifiedName(&d));
      return End(d);
    }
    if (Accept("ALTER")) {
      TARN_RETURN_IF_ERROR(Expect("TABLE"));
      TARN_RETURN_IF_ERROR(QualifiedName(&d));
      if (Accept("ADD")) {
        d.kind = Ddl::Kind::kAddPartitions;
        d.if_exists = IfNotExists();
        while (Accept("PARTITION")) {
          TARN_ASSIGN_OR_RETURN(Ddl::Partition p, PartitionSpec());
          if (Accept("LOCATION")) {
            TARN_ASSIGN_OR_RETURN(p.location, String());
          }
          d.partitions.push_back(std::move(p));
        }
      } else if (Accept("DROP")) {
        d.kind = Ddl::Kind::kDropPartitions;
        d.if_exists = IfExists();
        do {
          TARN_RETURN_IF_ERROR(Expect("PARTITION"));
          TARN_ASSIGN_OR_RETURN(Ddl::Partition p, PartitionSpec());
          d.partitions.push_back(std::move(p));
        } while (AcceptPunct(","));
      } else {
        return Error("tarn's Athena supports ALTER TABLE ... ADD PARTITION and DROP PARTITION");
      }
      if (d.partitions.empty()) return Error("expected PARTITION (key = 'value', ...)");
      return End(d);
    }
    if (Accept("MSCK")) {
      TARN_RETURN_IF_ERROR(Expect("REPAIR"));
      TARN_RETURN_IF_ERROR(Expect("TABLE"));
      d.kind = Ddl::Kind::kRepairTable;
      TARN_RETURN_IF_ERROR(QualifiedName(&d));
      return End(d);
    }
    return Error("not a DDL statement tarn's Athena knows");
  }

 private:
  const Token& Cur() const { return t_[pos_]; }
  bool Peek(const char* word) const {
    return Cur().type == Token::kWord && Upper(Cur().text) == word;
  }
  bool Accept(const char* word) {
    if (!Peek(word)) return false;
    ++pos_;
    return true;
  }
  bool AcceptPunct(const char* p) {
    if (Cur().type != Token::kPunct || Cur().text != p) return false;
    ++pos_;
    return true;
  }
  Status Error(const std::string& what) const {
    // line:column of the current token, as Athena's messages give them.
    size_t line = 1, col = 1;
    for (size_t i = 0; i < Cur().offset && i < sql_.size(); ++i) {
      if (sql_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return InvalidArgument("line " + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  }
  Status Expect(const char* word) {
    if (Accept(word)) return Status::OK();
    return Error(std::string("expected ") + word);
  }
  Status ExpectPunct(const char* p) {
    if (AcceptPunct(p)) return Status::OK();
    return Error(std::string("expected '") + p + "'");
  }
  bool IfNotExists() {
    if (!Accept("IF")) return false;
    Accept("NOT");
    Accept("EXISTS");
    return true;
  }
  bool IfExists() {
    if (!Accept("IF")) return false;
    Accept("EXISTS");
    return true;
  }
  Result<std::string> Name() {
    if (Cur().type != Token::kWord && Cur().type != Token::kQuotedName) return Error("expected a name");
    return Lower(t_[pos_++].text);
  }
  Status QualifiedName(Ddl* d) {
    TARN_ASSIGN_OR_RETURN(std::string first, Name());
    if (AcceptPunct(".")) {
      d->database = first;
      TARN_ASSIGN_OR_RETURN(d->name, Name());
    } else {
      d->name = first;
    }
    return Status::OK();
  }
  Result<std::string> String() {
    if (Cur().type != Token::kString) return Error("expected a string literal");
    return t_[pos_++].text;
  }
  Result<Ddl> End(Ddl& d) {
    AcceptPunct(";");
    if (Cur().type != Token::kEnd) return Error("unexpected '" + Cur().text + "'");
    return d;
  }

  // A Hive type: tokens up to a ',' or ')' outside brackets, or COMMENT.
  Result<std::string> Type() {
    std::string out;
    int depth = 0;
    while (Cur().type != Token::kEnd) {
      const Token& t = Cur();
      if (t.type == Token::kPunct) {
        if ((t.text == "," || t.text == ")") && depth == 0) break;
        if (t.text == "<" || t.text == "(") ++depth;
        if (t.text == ">" || t.text == ")") --depth;
      } else if (depth == 0 && t.type == Token::kWord && Upper(t.text) == "COMMENT") {
        break;
      }
      out += t.type == Token::kWord ? Lower(t.text) : t.text;
      ++pos_;
    }
    if (out.empty()) return Error("expected a type");
    return out;
  }

  // (name type [COMMENT '...'], ...)
  Result<Json> Columns() {
    TARN_RETURN_IF_ERROR(ExpectPunct("("));
    Json cols = Json::array();
    do {
      TARN_ASSIGN_OR_RETURN(std::string name, Name());
      TARN_ASSIGN_OR_RETURN(std::string type, Type());
      Json c = {{"Name", name}, {"Type", type}};
      if (Accept("COMMENT")) {
        TARN_ASSIGN_OR_RETURN(c["Comment"], String());
      }
      cols.push_back(std::move(c));
    } while (AcceptPunct(","));
    TARN_RETURN_IF_ERROR(ExpectPunct(")"));
    return cols;
  }

  // ('k' = 'v', ...)
  Result<Json> Properties() {
    TARN_RETURN_IF_ERROR(ExpectPunct("("));
    Json props = Json::object();
    do {
      TARN_ASSIGN_OR_RETURN(std::string k, String());
      TARN_RETURN_IF_ERROR(ExpectPunct("="));
      TARN_ASSIGN_OR_RETURN(std::string v, String());
      props[k] = v;
    } while (AcceptPunct(","));
    TARN_RETURN_IF_ERROR(ExpectPunct(")"));
    return props;
  }

  // (k = 'v', ...)
  Result<Ddl::Partition> PartitionSpec() {
    TARN_RETURN_IF_ERROR(ExpectPunct("("));
    Ddl::Partition p;
    do {
      TARN_ASSIGN_OR_RETURN(std::string k, Name());
      TARN_RETURN_IF_ERROR(ExpectPunct("="));
      std::string v;
      if (Cur().type == Token::kString || Cur().type == Token::kWord) {
        v = t_[pos_++].text;  // numbers come as words
      } else {
        return Error("expected a partition value");
      }
      p.values.emplace_back(std::move(k), std::move(v));
    } while (AcceptPunct(","));
    TARN_RETURN_IF_ERROR(ExpectPunct(")"));
    return p;
  }

  Result<Ddl> CreateTable(Ddl& d) {
    TARN_ASSIGN_OR_RETURN(Json columns, Columns());
    Json table = {{"Name", d.name}, {"TableType", "EXTERNAL_TABLE"}};
    Json params = {{"EXTERNAL", "TRUE"}};
    Json sd = {{"Columns", columns}};
    Json serde = {{"Parameters", Json::object()}};
    Json keys = Json::array();
    std::string stored = "TEXTFILE";
    bool location = false;
    while (Cur().type != Token::kEnd && !(Cur().type == Token::kPunct && Cur().text == ";")) {
      if (Accept("COMMENT")) {
        TARN_ASSIGN_OR_RETURN(std::string c, String());
        table["Description"] = c;
      } else if (Accept("PARTITIONED")) {
        TARN_RETURN_IF_ERROR(Expect("BY"));
        TARN_ASSIGN_OR_RETURN(keys, Columns());
      } else if (Accept("ROW")) {
        TARN_RETURN_IF_ERROR(Expect("FORMAT"));
        if (Accept("DELIMITED")) {
          serde["SerializationLibrary"] = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
          while (true) {
            if (Accept("FIELDS")) {
              TARN_RETURN_IF_ERROR(Expect("TERMINATED"));
              TARN_RETURN_IF_ERROR(Expect("BY"));
              TARN_ASSIGN_OR_RETURN(std::string delim, String());
              if (delim == "\\t") delim = "\t";
              serde["Parameters"]["field.delim"] = delim;
            } else if (Accept("ESCAPED")) {
              TARN_RETURN_IF_ERROR(Expect("BY"));
              TARN_ASSIGN_OR_RETURN(serde["Parameters"]["escape.delim"], String());
            } else if (Accept("LINES")) {
              TARN_RETURN_IF_ERROR(Expect("TERMINATED"));
              TARN_RETURN_IF_ERROR(Expect("BY"));
              TARN_ASSIGN_OR_RETURN(serde["Parameters"]["line.delim"], String());
            } else if (Accept("COLLECTION") || Accept("MAP")) {
              while (!Peek("BY")) ++pos_;
              ++pos_;
              TARN_RETURN_IF_ERROR(String().status());
            } else {
              break;
            }
          }
        } else if (Accept("SERDE")) {
          TARN_ASSIGN_OR_RETURN(std::string lib, String());
          serde["SerializationLibrary"] = lib;
          if (Accept("WITH")) {
            TARN_RETURN_IF_ERROR(Expect("SERDEPROPERTIES"));
            TARN_ASSIGN_OR_RETURN(serde["Parameters"], Properties());
          }
        } else {
          return Error("expected DELIMITED or SERDE after ROW FORMAT");
        }
      } else if (Accept("STORED")) {
        TARN_RETURN_IF_ERROR(Expect("AS"));
        if (Accept("INPUTFORMAT")) {
          TARN_ASSIGN_OR_RETURN(std::string in, String());
          TARN_RETURN_IF_ERROR(Expect("OUTPUTFORMAT"));
          TARN_ASSIGN_OR_RETURN(std::string out, String());
          sd["InputFormat"] = in;
          sd["OutputFormat"] = out;
          stored = in.find("Parquet") != std::string::npos ? "PARQUET" : "CUSTOM";
        } else {
          TARN_ASSIGN_OR_RETURN(stored, Name());
          stored = Upper(stored);
        }
      } else if (Accept("LOCATION")) {
        TARN_ASSIGN_OR_RETURN(std::string loc, String());
        sd["Location"] = loc;
        location = true;
      } else if (Accept("TBLPROPERTIES")) {
        TARN_ASSIGN_OR_RETURN(Json p, Properties());
        params.update(p);
      } else {
        return Error("unexpected '" + Cur().text + "' in CREATE EXTERNAL TABLE");
      }
    }
    if (!location) return Error("CREATE EXTERNAL TABLE needs a LOCATION 's3://...'");
    // The storage the format implies, and the classification the reader uses.
    if (stored == "PARQUET") {
      sd["InputFormat"] = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
      sd["OutputFormat"] = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
      if (!serde.contains("SerializationLibrary")) {
        serde["SerializationLibrary"] = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
      }
      if (!params.contains("classification")) params["classification"] = "parquet";
    } else if (stored == "TEXTFILE" || stored == "JSON" || stored == "JSONFILE") {
      if (!sd.contains("InputFormat")) sd["InputFormat"] = "org.apache.hadoop.mapred.TextInputFormat";
      if (!sd.contains("OutputFormat")) {
        sd["OutputFormat"] = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
      }
      const std::string lib = serde.value("SerializationLibrary", "");
      const bool json = stored != "TEXTFILE" || lib.find("Json") != std::string::npos ||
                        lib.find("json") != std::string::npos;
      if (!serde.contains("SerializationLibrary")) {
        serde["SerializationLibrary"] = json ? "org.openx.data.jsonserde.JsonSerDe"
                                             : "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
      }
      if (!params.contains("classification")) params["classification"] = json ? "json" : "csv";
    } else if (stored != "CUSTOM") {
      return Error("STORED AS " + stored + " is not supported by tarn's Athena (PARQUET, TEXTFILE, JSON are)");
    }
    sd["SerdeInfo"] = serde;
    table["StorageDescriptor"] = sd;
    table["PartitionKeys"] = keys;
    table["Parameters"] = params;
    d.table_input = std::move(table);
    return End(d);
  }

  // CREATE TABLE t [WITH (k = v, ...)] AS <query>
  Result<Ddl> TableAs(Ddl& d) {
    d.kind = Ddl::Kind::kCreateTableAs;
    if (Accept("WITH")) {
      TARN_RETURN_IF_ERROR(ExpectPunct("("));
      do {
        TARN_ASSIGN_OR_RETURN(std::string k, Name());
        TARN_RETURN_IF_ERROR(ExpectPunct("="));
        std::string v;
        if (Accept("ARRAY")) {
          TARN_RETURN_IF_ERROR(ExpectPunct("["));
          do {
            TARN_ASSIGN_OR_RETURN(std::string e, String());
            v += (v.empty() ? "" : ",") + Lower(e);
          } while (AcceptPunct(","));
          TARN_RETURN_IF_ERROR(ExpectPunct("]"));
        } else if (Cur().type == Token::kString || Cur().type == Token::kWord) {
          v = t_[pos_++].text;
        } else {
          return Error("expected a value for " + k);
        }
        d.properties[k] = v;
      } while (AcceptPunct(","));
      TARN_RETURN_IF_ERROR(ExpectPunct(")"));
    }
    return Rest(d, "AS");
  }

  // The query after `word` (AS), to the end of the statement.
  Result<Ddl> Rest(Ddl& d, const char* word) {
    if (!Peek(word)) return Error(std::string("expected ") + word + " <query>");
    std::string_view rest = sql_.substr(Cur().offset + std::string_view(word).size());
    while (!rest.empty() && (std::isspace(static_cast<unsigned char>(rest.back())) || rest.back() == ';')) {
      rest.remove_suffix(1);
    }
    while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
    if (rest.empty()) return Error("expected a query after AS");
    d.view_sql = std::string(rest);
    return d;
  }

  Result<Ddl> View(Ddl& d) {
    d.kind = Ddl::Kind::kCreateView;
    TARN_RETURN_IF_ERROR(QualifiedName(&d));
    return Rest(d, "AS");
  }

  std::string_view sql_;
  std::vector<Token> t_;
  size_t pos_ = 0;
};

}  // namespace

bool IsDdl(std::string_view sql) {
  Result<std::vector<Token>> t = Tokenize(sql);
  if (!t.ok() || t->size() < 2) return false;
  const std::string a = Upper((*t)[0].text), b = Upper((*t)[1].text);
  if (a == "MSCK") return true;
  if (a == "ALTER") return b == "TABLE";
  if (a == "DROP") return b == "TABLE" || b == "VIEW" || b == "DATABASE" || b == "SCHEMA";
  if (a == "CREATE") {
    return b == "EXTERNAL" || b == "TABLE" || b == "VIEW" || b == "OR" || b == "DATABASE" ||
           b == "SCHEMA";
  }
  return false;
}

Result<Ddl> ParseDdl(std::string_view sql) {
  TARN_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(sql));
  return Parser(sql, std::move(tokens)).Parse();
}

}  // namespace tarn::athena
