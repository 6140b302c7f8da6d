// Streaming reader of Graph-shaped JSON user exports (see file_formats.h).
//
// nlohmann::json's SAX interface hands over one token at a time; this handler assembles
// one user object at a time and forgets it once the sink has it, so memory does not grow
// with the file.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <streambuf>
#include <vector>

#include "sources/file/file_formats.h"

namespace telsync::file_formats {
namespace {

// Reads from another streambuf in large chunks and knows the line of the current position,
// so a bad record can be reported with the line where it starts.
class LineCountingBuf : public std::streambuf {
 public:
  explicit LineCountingBuf(std::streambuf* source) : source_(source), buffer_(1 << 16) {}

  // 1-based line of the next character to be read.
  size_t Line() {
    const char* end = gptr();
    if (scanned_ == nullptr || scanned_ < eback() || scanned_ > end) scanned_ = eback();
    lines_ += static_cast<size_t>(std::count(scanned_, end, '\n'));
    scanned_ = end;
    return lines_ + 1;
  }
  bool ReachedEnd() const { return reached_end_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    Line();  // count the rest of the old chunk before it is replaced
    const std::streamsize n =
        source_->sgetn(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    if (n <= 0) {
      reached_end_ = true;
      return traits_type::eof();
    }
    setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
    scanned_ = buffer_.data();
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::streambuf* source_;
  std::vector<char> buffer_;
  const char* scanned_ = nullptr;
  size_t lines_ = 0;
  bool reached_end_ = false;
};

struct Frame {
  bool is_array = false;
  bool skip = false;         // inside a record already reported as bad
  bool member_of = false;    // the user's memberOf array, or a group object inside it
  std::string prefix;        // attribute name of this container's values ("" = the user)
  std::string key;           // current key (objects)
  std::string display_name;  // memberOf group object: its displayName
  std::string odata_type;    // memberOf group object: its @odata.type
};

class UserSax {
 public:
  using json = nlohmann::json;

  UserSax(LineCountingBuf& buf, const std::string& name, const ObjectSink& sink,
          const ProblemSink& on_problem)
      : buf_(buf), name_(name), sink_(sink), on_problem_(on_problem) {}

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
    Frame& top = stack_.back();
    top.key = std::move(key);
    return true;
  }

  bool start_object(std::size_t /*size*/) {
    if (!in_user_ && AtUserSlot()) {
      in_user_ = true;
      user_frame_ = stack_.size();
      ++records_;
      record_line_ = buf_.Line();
      user_ = SourceObject();
      Frame frame;
      stack_.push_back(frame);
      return true;
    }
    Frame frame;
    if (in_user_) {
      const Frame& parent = stack_.back();
      frame.skip = parent.skip;
      frame.member_of = parent.member_of && parent.is_array;
      // A delta answer marks users that left the scope with "@removed": {"reason": ...}.
      if (stack_.size() == user_frame_ + 1 && parent.key == "@removed") user_.deleted = true;
      frame.prefix = parent.is_array ? parent.prefix : Join(parent.prefix, parent.key);
    }
    stack_.push_back(std::move(frame));
    return true;
  }

  bool end_object() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (in_user_ && stack_.size() == user_frame_) {
      FinishUser();
      return true;
    }
    if (in_user_ && frame.member_of && !frame.skip && !frame.display_name.empty()) {
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
    if (!in_user_ && AtUserSlot()) {
      // An array where a user should be: a bad record; skip all of it.
      ++records_;
      BadRecord(buf_.Line(), "record " + std::to_string(records_) + ": not a JSON object");
      frame.skip = true;
    } else if (in_user_) {
      const Frame& parent = stack_.back();
      frame.skip = parent.skip;
      frame.prefix = parent.is_array ? parent.prefix : Join(parent.prefix, parent.key);
      frame.member_of = stack_.size() == user_frame_ + 1 && parent.key == "memberOf";
    } else if (!stack_.empty() && stack_.back().skip) {
      frame.skip = true;
    }
    if (IsUserList(stack_.size())) users_list_seen_ = true;
    stack_.push_back(std::move(frame));
    return true;
  }

  bool end_array() {
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) {
    failed_ = true;
    if (buf_.ReachedEnd() && ex.id == 101) {
      if (InUserList()) {
        error_ = !stack_[0].is_array
                     ? "file ends before the closing ']' of value (truncated export?)"
                     : "file ends before the closing ']' of the user list (truncated export?)";
      } else {
        error_ = "file ends before the JSON is complete (truncated export?)";
      }
      return false;
    }
    std::string what = ex.what();
    const size_t bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    error_ = "JSON syntax error at line " + std::to_string(buf_.Line()) + ": " + what;
    return false;
  }

  ReadResult Finish() {
    ReadResult result;
    result.objects = objects_;
    result.bad_records = bad_records_;
    if (failed_) {
      result.error = error_;
      return result;
    }
    if (!users_list_seen_) {
      result.error = "expected a JSON array of users or Graph's answer shape {\"value\": [users]}";
      return result;
    }
    if (!next_link_.empty()) {
      result.error =
          "the file is one page of a longer answer (it has @odata.nextLink); export every page "
          "into one file";
      return result;
    }
    result.complete = true;
    return result;
  }

 private:
  static std::string Join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  }

  // The users are the elements of the root array, or of the root object's "value" array.
  bool IsUserList(size_t depth) const {
    if (depth == 0) return true;  // a root array
    return depth == 1 && !stack_[0].is_array && stack_[0].key == "value";
  }
  bool AtUserSlot() const {
    if (stack_.empty()) return false;
    const Frame& top = stack_.back();
    if (!top.is_array || top.skip) return false;
    if (stack_.size() == 1) return true;
    return stack_.size() == 2 && !stack_[0].is_array && stack_[0].key == "value";
  }
  bool InUserList() const {
    if (stack_.empty()) return false;
    if (stack_[0].is_array) return true;
    return stack_.size() >= 2 && stack_[0].key == "value";
  }

  bool Scalar(std::optional<std::string> value) {
    if (stack_.empty()) return true;  // a bare scalar document: Finish reports it
    Frame& top = stack_.back();
    if (!in_user_) {
      if (stack_.size() == 1 && !top.is_array && top.key == "@odata.nextLink" && value) {
        next_link_ = *value;
      }
      if (AtUserSlot()) {
        ++records_;
        BadRecord(buf_.Line(), "record " + std::to_string(records_) + ": not a JSON object");
      }
      return true;
    }
    if (top.skip || !value) return true;  // null: absent
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
    if (stack_.size() == user_frame_ + 1) {
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

  void FinishUser() {
    in_user_ = false;
    if (user_.id.empty()) {
      BadRecord(record_line_, "record " + std::to_string(records_) + ": missing id");
      return;
    }
    ++objects_;
    sink_(std::move(user_));
    user_ = SourceObject();
  }

  void BadRecord(size_t line, const std::string& reason) {
    ++bad_records_;
    if (on_problem_) on_problem_(name_ + ":" + std::to_string(line), reason);
  }

  LineCountingBuf& buf_;
  const std::string& name_;
  const ObjectSink& sink_;
  const ProblemSink& on_problem_;
  std::vector<Frame> stack_;
  bool in_user_ = false;
  size_t user_frame_ = 0;  // stack size when the user object was opened
  SourceObject user_;
  size_t record_line_ = 0;
  size_t records_ = 0;
  size_t objects_ = 0;
  size_t bad_records_ = 0;
  bool users_list_seen_ = false;
  std::string next_link_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace

ReadResult ReadJson(std::istream& in, const std::string& name, const ObjectSink& sink,
                    const ProblemSink& on_problem) {
  LineCountingBuf buf(in.rdbuf());
  std::istream counted(&buf);
  UserSax sax(buf, name, sink, on_problem);
  try {
    nlohmann::json::sax_parse(counted, &sax);
  } catch (const std::exception& e) {
    // sax_parse reports through parse_error; anything else (bad_alloc, a throwing sink)
    // must still not cross the module boundary.
    ReadResult result = sax.Finish();
    result.complete = false;
    result.error = std::string("cannot read the JSON: ") + e.what();
    return result;
  }
  return sax.Finish();
}

}  // namespace telsync::file_formats
