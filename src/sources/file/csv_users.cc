// Streaming reader of CSV user exports (RFC 4180; see file_formats.h).
#include <strings.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "sources/file/file_formats.h"
#include "util/text.h"

namespace telsync::file_formats {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  return std::string(s.substr(begin, s.find_last_not_of(" \t") - begin + 1));
}

enum class RecordEnd { kRecord, kEndOfFile, kUnclosedQuote };

// Reads RFC 4180 records one at a time from a streambuf, counting lines.
class CsvRecords {
 public:
  CsvRecords(std::streambuf* in, char delimiter) : in_(in), delimiter_(delimiter) {}

  void set_delimiter(char delimiter) { delimiter_ = delimiter; }
  size_t line() const { return line_; }  // 1-based line where the last record started

  // The next record's fields. kEndOfFile with no fields when the input is exhausted.
  RecordEnd Next(std::vector<std::string>& fields) {
    fields.clear();
    line_ = next_line_;
    using traits = std::streambuf::traits_type;
    int c = in_->sbumpc();
    if (c == traits::eof()) return RecordEnd::kEndOfFile;
    std::string field;
    bool quoted = false;      // inside a quoted field
    bool was_quoted = false;  // this field started with a quote
    while (true) {
      if (c == traits::eof()) {
        fields.push_back(std::move(field));
        return quoted ? RecordEnd::kUnclosedQuote : RecordEnd::kRecord;
      }
      const char ch = static_cast<char>(c);
      if (quoted) {
        if (ch == '"') {
          if (in_->sgetc() == '"') {  // "" inside quotes is one quote
            field += '"';
            in_->sbumpc();
          } else {
            quoted = false;
          }
        } else {
          if (ch == '\n') ++next_line_;
          field += ch;
        }
      } else if (ch == '"' && field.empty() && !was_quoted) {
        quoted = true;
        was_quoted = true;
      } else if (ch == delimiter_) {
        fields.push_back(std::move(field));
        field.clear();
        was_quoted = false;
      } else if (ch == '\n' || ch == '\r') {
        if (ch == '\r' && in_->sgetc() == '\n') in_->sbumpc();
        ++next_line_;
        fields.push_back(std::move(field));
        return RecordEnd::kRecord;
      } else {
        field += ch;  // a stray quote inside an unquoted field is kept as text
      }
      c = in_->sbumpc();
    }
  }

 private:
  std::streambuf* in_;
  char delimiter_;
  size_t line_ = 1;
  size_t next_line_ = 1;
};

// The delimiter the header uses most, outside quotes: ';' (Excel in Nordic locales), ',' or tab.
char DetectDelimiter(const std::string& header) {
  size_t commas = 0, semicolons = 0, tabs = 0;
  bool quoted = false;
  for (char c : header) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == ',') ++commas;
    if (c == ';') ++semicolons;
    if (c == '\t') ++tabs;
  }
  if (tabs > commas && tabs > semicolons) return '\t';
  if (semicolons > commas) return ';';
  return ',';
}

bool IsFalse(const std::string& v) {
  return EqualsNoCase(v, "false") || v == "0" || EqualsNoCase(v, "no");
}

}  // namespace

ReadResult ReadCsv(std::istream& in, const std::string& name, const ObjectSink& sink,
                   const ProblemSink& on_problem) {
  ReadResult result;
  std::streambuf* buf = in.rdbuf();
  // The header decides the delimiter, so read its raw text first (up to the first line
  // break outside quotes), then split it with that delimiter.
  std::string header_text;
  {
    using traits = std::streambuf::traits_type;
    bool quoted = false;
    int c;
    while ((c = buf->sbumpc()) != traits::eof()) {
      const char ch = static_cast<char>(c);
      if (ch == '"') quoted = !quoted;
      if (!quoted && (ch == '\n' || ch == '\r')) {
        if (ch == '\r' && buf->sgetc() == '\n') buf->sbumpc();
        break;
      }
      header_text += ch;
    }
  }
  if (header_text.rfind("\xEF\xBB\xBF", 0) == 0) header_text.erase(0, 3);
  if (Trim(header_text).empty()) {
    result.error =
        Error::Invalid("the CSV file is empty: expected a header row of attribute names");
    return result;
  }
  const char delimiter = DetectDelimiter(header_text);
  std::vector<std::string> header;
  {
    std::istringstream header_in(header_text);
    CsvRecords header_records(header_in.rdbuf(), delimiter);
    if (header_records.Next(header) == RecordEnd::kUnclosedQuote) {
      result.error = Error::Invalid("the header row has an unclosed quote");
      return result;
    }
  }
  for (auto& h : header) h = Trim(h);

  int id_column = -1;
  for (const char* id_name : {"id", "objectGUID", "entryUUID"}) {
    for (size_t i = 0; i < header.size() && id_column < 0; ++i) {
      if (EqualsNoCase(header[i], id_name)) id_column = static_cast<int>(i);
    }
  }
  std::unordered_map<std::string, size_t> column_of;  // lower-case name -> 0-based column
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i].empty()) continue;
    auto [it, fresh] = column_of.emplace(AsciiLower(header[i]), i);
    if (!fresh) {
      result.error = Error::Invalid("the header names column '" + EscapeForTerminal(header[i]) +
                                    "' twice (columns " + std::to_string(it->second + 1) + " and " +
                                    std::to_string(i + 1) + "): which one is meant cannot be told");
      return result;
    }
  }
  if (id_column < 0) {
    std::string seen;
    for (size_t i = 0; i < header.size() && i < 12; ++i) seen += (i ? ", " : "") + header[i];
    if (header.size() > 12) seen += ", ...";
    const std::string shown = delimiter == '\t' ? "tab" : std::string("'") + delimiter + "'";
    result.error = Error::Invalid(
        "the header has no id column (id, objectGUID or entryUUID); read with the "
        "delimiter " +
        shown + " it has the columns: " + EscapeForTerminal(seen));
    return result;
  }
  // Group names are split on '|', and on ';' too unless ';' separates the columns.
  const std::string group_separators = delimiter == ';' ? "|" : ";|";

  CsvRecords records(buf, delimiter);
  // The header was line 1 (a quoted header with line breaks is not supported for counting).
  std::vector<std::string> fields;
  size_t line_offset = 1;
  while (true) {
    const RecordEnd end = records.Next(fields);
    const size_t line = records.line() + line_offset;
    if (end == RecordEnd::kEndOfFile) break;
    const std::string where = name + ":" + std::to_string(line);
    if (end == RecordEnd::kUnclosedQuote) {
      ++result.bad_records;
      if (on_problem) on_problem(where, "a quoted field is not closed before the end of the file");
      result.error = Error::Invalid("file ends inside a quoted field that starts on line " +
                                    std::to_string(line) + " (truncated export?)");
      return result;
    }
    if (fields.size() == 1 && Trim(fields[0]).empty()) continue;  // a blank line
    if (fields.size() != header.size()) {
      ++result.bad_records;
      if (on_problem) {
        on_problem(where, "expected " + std::to_string(header.size()) +
                              " fields as in the header, found " + std::to_string(fields.size()));
      }
      continue;
    }
    SourceObject user;
    user.id = Trim(fields[id_column]);
    if (user.id.empty()) {
      ++result.bad_records;
      if (on_problem) on_problem(where, "missing id (column " + header[id_column] + ")");
      continue;
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      std::string& value = fields[i];
      if (value.empty() || header[i].empty()) continue;  // empty cells are absent
      const std::string& column = header[i];
      if (EqualsNoCase(column, "memberOf") || EqualsNoCase(column, "groups")) {
        size_t start = 0;
        while (start <= value.size()) {
          size_t stop = value.find_first_of(group_separators, start);
          if (stop == std::string::npos) stop = value.size();
          std::string group = Trim(std::string_view(value).substr(start, stop - start));
          if (!group.empty()) {
            // A DN (an AD export) names the group by its first RDN.
            if (group.find('=') != std::string::npos && group.find(',') != std::string::npos) {
              group = FirstRdnValue(group);
            }
            user.groups.push_back(group);
            user.Add("memberOf", std::move(group));
          }
          start = stop + 1;
        }
        continue;
      }
      if (EqualsNoCase(column, "accountEnabled") || EqualsNoCase(column, "enabled")) {
        if (IsFalse(Trim(value))) user.enabled = false;
      } else if (EqualsNoCase(column, "userAccountControl")) {
        char* stop = nullptr;
        const long long uac = std::strtoll(value.c_str(), &stop, 10);
        if (stop != value.c_str() && (uac & 0x2) != 0) user.enabled = false;  // ACCOUNTDISABLE
      }
      user.Add(column, std::move(value));
    }
    ++result.objects;
    sink(std::move(user));
  }
  result.complete = true;
  return result;
}

}  // namespace telsync::file_formats
