// Streaming reader of Graph-shaped JSON user exports (see file_formats.h).
//
// Two levels, so that one broken record never ends the read (issue 14 item 8):
// - A scanner walks the document's outer shape (the root array, or the root object and its
//   "value" array) byte by byte and cuts out each element of the user list by balancing
//   brackets outside strings. It knows the line of every byte.
// - Each element is parsed on its own with nlohmann::json's SAX interface, which assembles
//   one user object and forgets it once the sink has it. A record that does not parse is
//   reported as file:line with the reason and skipped; the scanner goes on with the next.
// Memory holds one record at a time, so it does not grow with the file.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <streambuf>
#include <vector>

#include "sources/file/file_formats.h"
#include "util/text.h"

namespace telsync::file_formats {
namespace {

using json = nlohmann::json;

// The bytes of one stream, read in large chunks, with the 1-based line of the next one.
// Strings are copied a run at a time: the scan is the hot loop of a 500 MB export.
class Scanner {
 public:
  explicit Scanner(std::streambuf* source) : source_(source), buffer_(1 << 16) {}

  int Peek() {
    if (pos_ == end_ && !Fill()) return EOF;
    return static_cast<unsigned char>(buffer_[pos_]);
  }
  int Get() {
    if (pos_ == end_ && !Fill()) return EOF;
    const char c = buffer_[pos_++];
    if (c == '\n') ++line_;
    return static_cast<unsigned char>(c);
  }
  size_t Line() const { return line_; }

  void SkipWhitespace() {
    for (int c = Peek(); c == ' ' || c == '\t' || c == '\n' || c == '\r'; c = Peek()) Get();
  }
  void SkipBom() {
    if (Peek() != 0xEF) return;
    std::string bom;
    for (int i = 0; i < 3 && Peek() != EOF; ++i) bom += static_cast<char>(Get());
    if (bom != "\xEF\xBB\xBF") pushed_back_ = bom;  // not a BOM: parsed as text below
  }
  // A stray first byte that looked like a BOM; a document that starts so is not JSON.
  bool HasPushedBack() const { return !pushed_back_.empty(); }

  // Appends one JSON value's text to `out`: an object or array up to its matching close
  // (brackets inside strings do not count), a string up to its closing quote, or a bare
  // word up to the next delimiter. false when the stream ends first.
  bool ScanValue(std::string& out) {
    const int first = Peek();
    if (first == EOF) return false;
    if (first == '"') return ScanString(out);
    if (first != '{' && first != '[') {
      for (int c = Peek(); c != EOF && c != ',' && c != ']' && c != '}' && c != ' ' && c != '\t' &&
                           c != '\n' && c != '\r';
           c = Peek()) {
        out += static_cast<char>(Get());
      }
      return true;
    }
    size_t depth = 0;
    for (int c = Peek(); c != EOF; c = Peek()) {
      if (c == '"') {
        if (!ScanString(out)) return false;
        continue;
      }
      // The run up to the next character that matters, in one copy.
      const size_t from = pos_;
      while (pos_ < end_) {
        const char b = buffer_[pos_];
        if (b == '"' || b == '{' || b == '[' || b == '}' || b == ']') break;
        if (b == '\n') ++line_;
        ++pos_;
      }
      out.append(buffer_.data() + from, pos_ - from);
      if (pos_ == end_) continue;  // refilled by the next Peek
      const char b = buffer_[pos_];
      if (b == '"') continue;
      out += b;
      ++pos_;
      if (b == '{' || b == '[') {
        ++depth;
      } else if (--depth == 0) {
        return true;
      }
    }
    return false;
  }

 private:
  bool Fill() {
    const std::streamsize n =
        source_->sgetn(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    pos_ = 0;
    end_ = n > 0 ? static_cast<size_t>(n) : 0;
    return end_ > 0;
  }

  bool ScanString(std::string& out) {
    out += static_cast<char>(Get());  // the opening quote
    for (;;) {
      if (pos_ == end_ && !Fill()) return false;
      const size_t from = pos_;
      while (pos_ < end_ && buffer_[pos_] != '"' && buffer_[pos_] != '\\' &&
             buffer_[pos_] != '\n') {
        ++pos_;
      }
      out.append(buffer_.data() + from, pos_ - from);
      if (pos_ == end_) continue;
      const char c = static_cast<char>(Get());
      out += c;
      if (c == '"') return true;
      if (c == '\\') {
        const int escaped = Get();
        if (escaped == EOF) return false;
        out += static_cast<char>(escaped);
      }
    }
  }

  std::streambuf* source_;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  size_t line_ = 1;
  std::string pushed_back_;
};

struct Frame {
  bool is_array = false;
  bool member_of = false;    // the user's memberOf array, or a group object inside it
  std::string prefix;        // attribute name of this container's values ("" = the user)
  std::string key;           // current key (objects)
  std::string display_name;  // memberOf group object: its displayName
  std::string odata_type;    // memberOf group object: its @odata.type
};

// Assembles the one user object of a record's text.
class UserSax {
 public:
  bool null() { return Scalar(std::nullopt); }
  bool boolean(bool value) { return Scalar(std::string(value ? "true" : "false")); }
  bool number_integer(json::number_integer_t value) { return Scalar(std::to_string(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return Scalar(std::to_string(value)); }
  bool number_float(json::number_float_t /*value*/, const json::string_t& text) {
    return Scalar(text);
  }
  bool string(json::string_t& value) { return Scalar(std::move(value)); }
  bool binary(json::binary_t& /*value*/) { return true; }  // not produced by the JSON parser

  bool key(json::string_t& key) {
    stack_.back().key = std::move(key);
    return true;
  }

  bool start_object(std::size_t /*size*/) {
    Frame frame;
    if (!stack_.empty()) {
      const Frame& parent = stack_.back();
      frame.member_of = parent.member_of && parent.is_array;
      // A delta answer marks users that left the scope with "@removed": {"reason": ...}.
      if (stack_.size() == 1 && parent.key == "@removed") user_.deleted = true;
      frame.prefix = parent.is_array ? parent.prefix : Join(parent.prefix, parent.key);
    }
    stack_.push_back(std::move(frame));
    return true;
  }

  bool end_object() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (frame.member_of && !frame.display_name.empty()) {
      // $expand=memberOf lists groups and directory roles; only groups are groups.
      if (frame.odata_type.empty() || frame.odata_type.find("group") != std::string::npos) {
        user_.groups.push_back(frame.display_name);
        user_.Add("memberOf", frame.display_name);
      }
    }
    return true;
  }

  bool start_array(std::size_t /*size*/) {
    Frame frame;
    frame.is_array = true;
    const Frame& parent = stack_.back();  // the record is an object: never empty here
    frame.prefix = parent.is_array ? parent.prefix : Join(parent.prefix, parent.key);
    frame.member_of = stack_.size() == 1 && parent.key == "memberOf";
    stack_.push_back(std::move(frame));
    return true;
  }

  bool end_array() {
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) {
    error_position_ = position;
    std::string what = ex.what();
    const size_t bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    error_ = std::move(what);
    return false;
  }

  SourceObject& user() { return user_; }
  const std::string& error() const { return error_; }
  size_t error_position() const { return error_position_; }

 private:
  static std::string Join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  }

  bool Scalar(std::optional<std::string> value) {
    Frame& top = stack_.back();
    if (!value) return true;  // null: absent
    if (top.member_of) {
      if (top.is_array) {  // memberOf as plain names
        if (!value->empty()) {
          user_.groups.push_back(*value);
          user_.Add("memberOf", std::move(*value));
        }
      } else if (top.key == "displayName") {
        top.display_name = std::move(*value);
      } else if (top.key == "@odata.type") {
        top.odata_type = std::move(*value);
      }
      return true;
    }
    if (stack_.size() == 1) {
      if (top.key == "id") {
        user_.id = *value;
      } else if (top.key == "accountEnabled") {
        user_.enabled = *value != "false";
      } else if (top.key.rfind("@odata.", 0) == 0 || top.key == "@removed") {
        if (top.key == "@removed") user_.deleted = true;
        return true;
      }
    }
    user_.Add(top.is_array ? top.prefix : Join(top.prefix, top.key), std::move(*value));
    return true;
  }

  std::vector<Frame> stack_;
  SourceObject user_;
  std::string error_;
  size_t error_position_ = 0;
};

class Reader {
 public:
  Reader(std::streambuf* in, const std::string& name, const ObjectSink& sink,
         const ProblemSink& on_problem)
      : in_(in), name_(name), sink_(sink), on_problem_(on_problem) {}

  ReadResult Read() {
    in_.SkipBom();
    in_.SkipWhitespace();
    const int c = in_.Peek();
    if (c == EOF && !in_.HasPushedBack()) {
      Fail("file ends before the JSON is complete (truncated export?)");
    } else if (c == '[' && !in_.HasPushedBack()) {
      ReadUserList(true);
    } else if (c == '{' && !in_.HasPushedBack()) {
      ReadRootObject();
    } else {
      Fail("expected a JSON array of users or Graph's answer shape {\"value\": [users]}");
    }
    if (error_.empty()) {
      in_.SkipWhitespace();
      if (in_.Peek() != EOF) {
        Fail("JSON syntax error at line " + std::to_string(in_.Line()) +
             ": text after the end of the JSON");
      }
    }
    ReadResult result;
    result.objects = objects_;
    result.bad_records = bad_records_;
    if (!error_.empty()) {
      result.error = Error::Invalid(error_);
      return result;
    }
    if (!users_list_seen_) {
      result.error = Error::Invalid(
          "expected a JSON array of users or Graph's answer shape {\"value\": [users]}");
      return result;
    }
    if (!next_link_.empty()) {
      result.error = Error::Invalid(
          "the file is one page of a longer answer (it has @odata.nextLink); export every page "
          "into one file");
      return result;
    }
    result.complete = true;
    return result;
  }

 private:
  void Fail(std::string reason) {
    if (error_.empty()) error_ = EscapeForTerminal(reason);
  }
  void Syntax(const std::string& what) {
    Fail("JSON syntax error at line " + std::to_string(in_.Line()) + ": " + what);
  }

  // {"value": [users], "@odata.nextLink": ..., ...}: the other members are skipped.
  void ReadRootObject() {
    in_.Get();  // '{'
    for (;;) {
      in_.SkipWhitespace();
      int c = in_.Peek();
      if (c == EOF) return Fail("file ends before the JSON is complete (truncated export?)");
      if (c == '}') {
        in_.Get();
        return;
      }
      std::string key_text;
      if (c != '"' || !in_.ScanValue(key_text)) {
        if (c == EOF || in_.Peek() == EOF) {
          return Fail("file ends before the JSON is complete (truncated export?)");
        }
        return Syntax("expected a member name in quotes");
      }
      const json key = json::parse(key_text, nullptr, false);
      if (!key.is_string()) return Syntax("the member name is not a valid JSON string");
      in_.SkipWhitespace();
      if (in_.Peek() == EOF)
        return Fail("file ends before the JSON is complete (truncated export?)");
      if (in_.Get() != ':') return Syntax("expected ':' after the member name");
      in_.SkipWhitespace();
      const std::string name = key.get<std::string>();
      if (name == "value" && in_.Peek() == '[') {
        if (!ReadUserList(false)) return;
      } else {
        std::string value;
        if (!in_.ScanValue(value)) {
          return Fail("file ends before the JSON is complete (truncated export?)");
        }
        const json parsed = json::parse(value, nullptr, false);
        if (parsed.is_discarded()) return Syntax("the value of \"" + name + "\" is not valid JSON");
        if (name == "@odata.nextLink" && parsed.is_string()) next_link_ = parsed.get<std::string>();
      }
      in_.SkipWhitespace();
      c = in_.Peek();
      if (c == EOF) return Fail("file ends before the JSON is complete (truncated export?)");
      in_.Get();
      if (c == '}') return;
      if (c != ',') return Syntax("expected ',' or '}' after the value of \"" + name + "\"");
    }
  }

  // The elements of the user list, each parsed alone. false when the file ends inside it.
  bool ReadUserList(bool root) {
    users_list_seen_ = true;
    const std::string truncated =
        root ? "file ends before the closing ']' of the user list (truncated export?)"
             : "file ends before the closing ']' of value (truncated export?)";
    in_.Get();  // '['
    std::string text;
    for (;;) {
      in_.SkipWhitespace();
      int c = in_.Peek();
      if (c == EOF) return Fail(truncated), false;
      if (c == ']') {
        in_.Get();
        return true;
      }
      const size_t line = in_.Line();
      ++records_;
      text.clear();
      if (!in_.ScanValue(text)) return Fail(truncated), false;
      // A stray '}' or ':' where a record should start is no value at all: it is taken as
      // the bad record, so the scan always moves on.
      if (text.empty()) text += static_cast<char>(in_.Get());
      ParseRecord(text, line);
      in_.SkipWhitespace();
      c = in_.Peek();
      if (c == EOF) return Fail(truncated), false;
      if (c == ']') {
        in_.Get();
        return true;
      }
      if (c == ',') {
        in_.Get();
        continue;
      }
      // Two records without a comma between them, or text where none belongs: said, and
      // the read goes on with what follows (it counts as a bad record: nothing is deleted).
      BadRecord(in_.Line(), "expected ',' or ']' after record " + std::to_string(records_));
    }
  }

  void ParseRecord(const std::string& text, size_t line) {
    const std::string record = "record " + std::to_string(records_);
    if (text.empty() || text[0] != '{') {
      // A scalar or an array where a user should be.
      if (!text.empty() && text[0] != '[' && text[0] != '"' &&
          json::parse(text, nullptr, false).is_discarded()) {
        return BadRecord(line, record + ": not JSON: " + text.substr(0, 40));
      }
      return BadRecord(line, record + ": not a JSON object");
    }
    UserSax sax;
    if (!json::sax_parse(text, &sax)) {
      const size_t at = std::min(sax.error_position(), text.size());
      const size_t error_line =
          line + static_cast<size_t>(std::count(text.begin(), text.begin() + at, '\n'));
      return BadRecord(error_line, record + ": JSON syntax error: " + sax.error());
    }
    SourceObject& user = sax.user();
    if (user.id.empty()) return BadRecord(line, record + ": missing id");
    ++objects_;
    sink_(std::move(user));
  }

  void BadRecord(size_t line, const std::string& reason) {
    ++bad_records_;
    if (on_problem_) on_problem_(name_ + ":" + std::to_string(line), EscapeForTerminal(reason));
  }

  Scanner in_;
  const std::string& name_;
  const ObjectSink& sink_;
  const ProblemSink& on_problem_;
  size_t records_ = 0;
  size_t objects_ = 0;
  size_t bad_records_ = 0;
  bool users_list_seen_ = false;
  std::string next_link_;
  std::string error_;
};

}  // namespace

ReadResult ReadJson(std::istream& in, const std::string& name, const ObjectSink& sink,
                    const ProblemSink& on_problem) {
  Reader reader(in.rdbuf(), name, sink, on_problem);
  try {
    return reader.Read();
  } catch (const std::exception& e) {
    // Anything thrown (bad_alloc, a throwing sink) must still not cross the module boundary.
    ReadResult result;
    result.error =
        Error::Invalid(std::string("cannot read the JSON: ") + EscapeForTerminal(e.what()));
    return result;
  }
}

}  // namespace telsync::file_formats
