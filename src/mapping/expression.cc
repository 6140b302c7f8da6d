#include "mapping/expression.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s regex compiler once
// it is inlined at -O1 and above: the warning is about the library's own std::function
// temporaries, not about this file, and would fail the -Werror build.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#else
#include <regex>
#endif

#include "phone/phone.h"

namespace telsync {
namespace mapping_detail {

enum class Kind {
  kLiteral,
  kAttribute,
  kConcat,
  kCoalesce,
  kLower,
  kUpper,
  kTrim,
  kReplace,
  kDigits,
  kE164,
  kPhoneExtension,
  kLeft,
  kRight,
  kJoin,
  kFirst,
  kSwitch,
};

// One node of the parsed tree. A tagged struct rather than a class hierarchy: the tree is
// small, built once, and evaluated a million times, so a switch over `kind` keeps the
// evaluator in one place and free of virtual calls.
struct Node {
  Kind kind = Kind::kLiteral;
  Value literal;           // kLiteral: exactly one value
  bool is_number = false;  // kLiteral written as a bare integer
  std::string name;        // kAttribute: as written
  bool member_of = false;  // kAttribute: {memberOf}, which falls back to the groups
  std::vector<std::unique_ptr<Node>> args;  // kConcat parts, function arguments
  std::optional<std::regex> regex;          // kReplace: compiled once, at parse time
  std::string replacement;                  // kReplace: "$1"-style format
  std::string cut_at;  // kReplace fast path: the pattern is `cut_at.*$`, see CutPattern
  std::optional<PhoneNormalizer> phone;  // kE164, kPhoneExtension
  size_t count = 0;                      // kLeft, kRight: code points
};

}  // namespace mapping_detail

namespace {

using mapping_detail::Kind;
using mapping_detail::Node;

constexpr int kMaxDepth = 64;
constexpr size_t kMaxCount = 1000000;        // left/right n
constexpr uint64_t kMaxRegexRepeat = 10000;  // product of {m,n} bounds in one regex

const Value& EmptyValue() {
  static const Value& empty = *new Value();
  return empty;
}

// ---------------------------------------------------------------------------
// Text helpers. Byte-level: the Latin-1 supplement letters (U+00C0..U+00FE) are the
// two-byte sequences C3 80..C3 BE, and their case pairs differ by 0x20 in the second byte,
// so case mapping never changes a string's length and needs no decoder.

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The lower-case of byte `c` given the byte before it (`prev`, 0 at the start).
unsigned char LowerByte(unsigned char prev, unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  // U+00C0..U+00DE except U+00D7 (multiplication sign).
  if (prev == 0xC3 && c >= 0x80 && c <= 0x9E && c != 0x97) return c + 0x20;
  return c;
}

unsigned char UpperByte(unsigned char prev, unsigned char c) {
  if (c >= 'a' && c <= 'z') return c - 0x20;
  // U+00E0..U+00FE except U+00F7 (division sign).
  if (prev == 0xC3 && c >= 0xA0 && c <= 0xBE && c != 0xB7) return c - 0x20;
  return c;
}

template <unsigned char (*Map)(unsigned char, unsigned char)>
std::string MapCase(std::string_view s) {
  std::string out(s);
  unsigned char prev = 0;
  for (char& ch : out) {
    const auto c = static_cast<unsigned char>(ch);
    ch = static_cast<char>(Map(prev, c));
    prev = c;
  }
  return out;
}

// Case-insensitive equality without allocating (switch keys).
bool FoldEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char pa = 0;
  unsigned char pb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto ca = static_cast<unsigned char>(a[i]);
    const auto cb = static_cast<unsigned char>(b[i]);
    if (LowerByte(pa, ca) != LowerByte(pb, cb)) return false;
    pa = ca;
    pb = cb;
  }
  return true;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Trims ASCII white space and U+00A0 (no-break space, C2 A0: common in pasted
// directory values).
std::string Trim(std::string_view s) {
  while (true) {
    if (!s.empty() && IsAsciiSpace(s.front())) {
      s.remove_prefix(1);
    } else if (s.size() >= 2 && s[0] == '\xC2' && s[1] == '\xA0') {
      s.remove_prefix(2);
    } else {
      break;
    }
  }
  while (true) {
    if (!s.empty() && IsAsciiSpace(s.back())) {
      s.remove_suffix(1);
    } else if (s.size() >= 2 && s[s.size() - 2] == '\xC2' && s.back() == '\xA0') {
      s.remove_suffix(2);
    } else {
      break;
    }
  }
  return std::string(s);
}

std::string Digits(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return out;
}

// The first n code points (bytes of a broken sequence count as their own).
std::string Left(std::string_view s, size_t n) {
  size_t i = 0;
  size_t seen = 0;
  while (i < s.size()) {
    if (!IsContinuation(static_cast<unsigned char>(s[i]))) {
      if (seen == n) break;
      ++seen;
    }
    ++i;
  }
  return std::string(s.substr(0, i));
}

std::string Right(std::string_view s, size_t n) {
  if (n == 0) return {};
  size_t i = s.size();
  size_t seen = 0;
  while (i > 0) {
    --i;
    if (!IsContinuation(static_cast<unsigned char>(s[i]))) {
      if (++seen == n) break;
    }
  }
  return std::string(s.substr(i));
}

bool IsEmpty(const Value& v) {
  return std::all_of(v.begin(), v.end(), [](const std::string& s) { return s.empty(); });
}

std::string_view FirstNonEmpty(const Value& v) {
  for (const auto& s : v) {
    if (!s.empty()) return s;
  }
  return {};
}

// ---------------------------------------------------------------------------
// Evaluation. A result either borrows a list that outlives the evaluation (an
// attribute of the object, a literal of the tree) or owns a computed one, so reading
// {givenName} copies nothing until the caller asks for the result.

class Val {
 public:
  static Val Ref(const Value* v) { return Val(v, {}); }
  static Val Own(Value v) { return Val(nullptr, std::move(v)); }

  const Value& get() const { return ref_ != nullptr ? *ref_ : owned_; }
  Value Take() && { return ref_ != nullptr ? *ref_ : std::move(owned_); }

 private:
  Val(const Value* ref, Value owned) : ref_(ref), owned_(std::move(owned)) {}
  const Value* ref_;
  Value owned_;
};

Val Eval(const Node& node, const SourceObject& object);

template <typename F>
Val MapValues(const Node& node, const SourceObject& object, F f) {
  const Val in = Eval(*node.args[0], object);
  const Value& values = in.get();
  Value out;
  out.reserve(values.size());
  for (const auto& s : values) out.push_back(f(s));
  return Val::Own(std::move(out));
}

Val Eval(const Node& node, const SourceObject& object) {
  switch (node.kind) {
    case Kind::kLiteral:
      return Val::Ref(&node.literal);
    case Kind::kAttribute: {
      const Value* values = object.Find(node.name);
      if (values == nullptr && node.member_of) values = &object.groups;
      return Val::Ref(values != nullptr ? values : &EmptyValue());
    }
    case Kind::kConcat: {
      std::string out;
      bool dynamic = false;
      bool any = false;
      for (const auto& part : node.args) {
        if (part->kind == Kind::kLiteral) {
          out += part->literal.front();
          continue;
        }
        dynamic = true;
        const Val v = Eval(*part, object);
        const std::string_view s = FirstNonEmpty(v.get());
        if (!s.empty()) {
          any = true;
          out += s;
        }
      }
      // A template over absent attributes is absent, not its separators.
      if (dynamic && !any) return Val::Ref(&EmptyValue());
      return Val::Own(Value{std::move(out)});
    }
    case Kind::kCoalesce:
      for (const auto& arg : node.args) {
        Val v = Eval(*arg, object);
        if (!IsEmpty(v.get())) return v;
      }
      return Val::Ref(&EmptyValue());
    case Kind::kLower:
      return MapValues(node, object, [](const std::string& s) { return MapCase<LowerByte>(s); });
    case Kind::kUpper:
      return MapValues(node, object, [](const std::string& s) { return MapCase<UpperByte>(s); });
    case Kind::kTrim:
      return MapValues(node, object, [](const std::string& s) { return Trim(s); });
    case Kind::kDigits:
      return MapValues(node, object, [](const std::string& s) { return Digits(s); });
    case Kind::kLeft:
      return MapValues(node, object, [&node](const std::string& s) { return Left(s, node.count); });
    case Kind::kRight:
      return MapValues(node, object,
                       [&node](const std::string& s) { return Right(s, node.count); });
    case Kind::kReplace:
      return MapValues(node, object, [&node](const std::string& s) {
        try {
          if (!node.cut_at.empty()) {
            // Same result as the regex, without libstdc++'s slow matcher, unless a line
            // break (where '.' stops) makes it differ.
            const size_t at = s.find(node.cut_at);
            if (at == std::string::npos) return s;
            if (s.find_first_of("\r\n", at) == std::string::npos) {
              return s.substr(0, at) + node.replacement;
            }
          }
          return std::regex_replace(s, *node.regex, node.replacement);
        } catch (const std::exception&) {
          // libstdc++ may give up on a pathological match; evaluation never fails.
          return std::string();
        }
      });
    case Kind::kE164: {
      const Val in = Eval(*node.args[0], object);
      Value out;
      for (const auto& s : in.get()) {
        if (s.empty()) continue;
        auto number = node.phone->Normalize(s);
        if (number.ok()) out.push_back(std::move(number).value());
      }
      return Val::Own(std::move(out));
    }
    case Kind::kPhoneExtension: {
      const Val in = Eval(*node.args[0], object);
      Value out;
      for (const auto& s : in.get()) {
        if (s.empty()) continue;
        auto number = node.phone->Parse(s);
        if (number.ok() && !number->extension.empty()) {
          out.push_back(std::move(number->extension));
        }
      }
      return Val::Own(std::move(out));
    }
    case Kind::kJoin: {
      const Val sep_value = Eval(*node.args[0], object);
      const std::string_view sep = FirstNonEmpty(sep_value.get());
      std::string out;
      bool any = false;
      for (size_t i = 1; i < node.args.size(); ++i) {
        const Val v = Eval(*node.args[i], object);
        for (const auto& s : v.get()) {
          if (s.empty()) continue;
          if (any) out += sep;
          out += s;
          any = true;
        }
      }
      if (!any) return Val::Ref(&EmptyValue());
      return Val::Own(Value{std::move(out)});
    }
    case Kind::kFirst: {
      const Val in = Eval(*node.args[0], object);
      if (in.get().empty()) return Val::Ref(&EmptyValue());
      return Val::Own(Value{in.get().front()});
    }
    case Kind::kSwitch: {
      const Val subject = Eval(*node.args[0], object);
      const std::string_view x =
          subject.get().empty() ? std::string_view() : std::string_view(subject.get().front());
      for (size_t i = 1; i + 1 < node.args.size(); i += 2) {
        const Val key = Eval(*node.args[i], object);
        const std::string_view k =
            key.get().empty() ? std::string_view() : std::string_view(key.get().front());
        if (FoldEqual(x, k)) return Eval(*node.args[i + 1], object);
      }
      return Eval(*node.args.back(), object);
    }
  }
  return Val::Ref(&EmptyValue());
}

// ---------------------------------------------------------------------------
// Lexer.

enum class Tok { kEnd, kAttribute, kString, kNumber, kIdent, kLParen, kRParen, kComma };

struct Token {
  Tok type = Tok::kEnd;
  size_t pos = 0;    // byte offset of the first character
  std::string text;  // attribute name, string contents, number digits, identifier
};

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAttributeChar(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '_' || c == '-' || c == '.' || c == ';' || c == ':';
}

// A character for an error message: 'x', the whole UTF-8 sequence, or \xNN.
std::string Describe(std::string_view text, size_t pos) {
  if (pos >= text.size()) return "end of expression";
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
  size_t len = 0;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  if (c >= 0xE0 && c <= 0xEF) len = 3;
  if (c >= 0xF0 && c <= 0xF4) len = 4;
  bool valid = len > 0 && pos + len <= text.size();
  for (size_t i = 1; valid && i < len; ++i) {
    valid = IsContinuation(static_cast<unsigned char>(text[pos + i]));
  }
  if (valid) return "'" + std::string(text.substr(pos, len)) + "'";
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("byte \\x") + kHex[c >> 4] + kHex[c & 0xF];
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<std::unique_ptr<Node>> ParseAll() {
    auto root = ParseSequence(0);
    if (!root.ok()) return root;
    if (!Lex()) return error_;
    if (token_.type != Tok::kEnd) {
      return Fail(token_.pos, "unexpected " + Describe(text_, token_.pos));
    }
    return root;
  }

  std::vector<std::string> TakeAttributes() { return std::move(attributes_); }

 private:
  // 1-based column in code points, which is what an editor shows.
  size_t Column(size_t pos) const {
    size_t column = 1;
    for (size_t i = 0; i < pos && i < text_.size(); ++i) {
      if (!IsContinuation(static_cast<unsigned char>(text_[i]))) ++column;
    }
    return column;
  }

  Error Fail(size_t pos, const std::string& message) {
    error_ = Error::Invalid("column " + std::to_string(Column(pos)) + ": " + message);
    return error_;
  }

  // Reads the next token into token_ unless one is already peeked. False on a lexical
  // error (error_ is set).
  bool Lex() {
    if (peeked_) return true;
    while (pos_ < text_.size() && IsAsciiSpace(text_[pos_])) ++pos_;
    token_ = Token{};
    token_.pos = pos_;
    if (pos_ >= text_.size()) {
      token_.type = Tok::kEnd;
      peeked_ = true;
      return true;
    }
    const char c = text_[pos_];
    if (c == '(' || c == ')' || c == ',') {
      token_.type = c == '(' ? Tok::kLParen : c == ')' ? Tok::kRParen : Tok::kComma;
      ++pos_;
    } else if (c == '{') {
      if (!LexAttribute()) return false;
    } else if (c == '"' || c == '\'') {
      if (!LexString(c)) return false;
    } else if (IsDigit(c)) {
      token_.type = Tok::kNumber;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) token_.text.push_back(text_[pos_++]);
    } else if (IsAlpha(c) || c == '_') {
      token_.type = Tok::kIdent;
      while (pos_ < text_.size() &&
             (IsAlpha(text_[pos_]) || IsDigit(text_[pos_]) || text_[pos_] == '_')) {
        token_.text.push_back(text_[pos_++]);
      }
    } else {
      Fail(pos_, "unexpected " + Describe(text_, pos_));
      return false;
    }
    peeked_ = true;
    return true;
  }

  bool LexAttribute() {
    const size_t open = pos_;
    const size_t close = text_.find('}', open + 1);
    if (close == std::string_view::npos) {
      Fail(open, "'{' without matching '}'");
      return false;
    }
    size_t begin = open + 1;
    size_t end = close;
    while (begin < end && IsAsciiSpace(text_[begin])) ++begin;
    while (end > begin && IsAsciiSpace(text_[end - 1])) --end;
    if (begin == end) {
      Fail(open, "empty attribute name in '{}'");
      return false;
    }
    for (size_t i = begin; i < end; ++i) {
      if (!IsAttributeChar(text_[i])) {
        Fail(i, "unexpected " + Describe(text_, i) + " in attribute name");
        return false;
      }
    }
    token_.type = Tok::kAttribute;
    token_.text = std::string(text_.substr(begin, end - begin));
    pos_ = close + 1;
    return true;
  }

  // "..." or '...'; \" \' \\ are escapes, any other backslash stays as written so that
  // regular expressions read naturally ("\d+").
  bool LexString(char quote) {
    const size_t open = pos_++;
    token_.type = Tok::kString;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        return true;
      }
      if (c == '\\' && pos_ + 1 < text_.size() &&
          (text_[pos_ + 1] == '"' || text_[pos_ + 1] == '\'' || text_[pos_ + 1] == '\\')) {
        token_.text.push_back(text_[pos_ + 1]);
        pos_ += 2;
        continue;
      }
      token_.text.push_back(c);
      ++pos_;
    }
    Fail(open, "unterminated string");
    return false;
  }

  void Consume() { peeked_ = false; }

  void NoteAttribute(std::string_view name) {
    std::string lower = MapCase<LowerByte>(name);
    if (std::find(attributes_.begin(), attributes_.end(), lower) == attributes_.end()) {
      attributes_.push_back(std::move(lower));
    }
  }

  static std::unique_ptr<Node> Literal(std::string text, bool is_number) {
    auto node = std::make_unique<Node>();
    node->kind = Kind::kLiteral;
    node->literal.push_back(std::move(text));
    node->is_number = is_number;
    return node;
  }

  // sequence := term+ ; stops before ')' ',' or the end.
  Result<std::unique_ptr<Node>> ParseSequence(int depth) {
    std::vector<std::unique_ptr<Node>> parts;
    while (true) {
      if (!Lex()) return error_;
      if (token_.type == Tok::kEnd || token_.type == Tok::kRParen || token_.type == Tok::kComma) {
        break;
      }
      auto term = ParseTerm(depth);
      if (!term.ok()) return term;
      parts.push_back(std::move(term).value());
    }
    if (parts.empty()) {
      return Fail(token_.pos, "expected an expression, found " + Describe(text_, token_.pos));
    }
    if (parts.size() == 1) return std::move(parts.front());
    // Adjacent constants fold into one, so "a" "b" costs nothing at evaluation.
    if (std::all_of(parts.begin(), parts.end(),
                    [](const auto& p) { return p->kind == Kind::kLiteral; })) {
      std::string text;
      for (const auto& p : parts) text += p->literal.front();
      return Literal(std::move(text), false);
    }
    auto node = std::make_unique<Node>();
    node->kind = Kind::kConcat;
    node->args = std::move(parts);
    return node;
  }

  Result<std::unique_ptr<Node>> ParseTerm(int depth) {
    Token token = std::move(token_);
    Consume();
    switch (token.type) {
      case Tok::kAttribute: {
        auto node = std::make_unique<Node>();
        node->kind = Kind::kAttribute;
        node->member_of = FoldEqual(token.text, "memberOf");
        node->name = std::move(token.text);
        NoteAttribute(node->name);
        return node;
      }
      case Tok::kString:
        return Literal(std::move(token.text), false);
      case Tok::kNumber:
        return Literal(std::move(token.text), true);
      case Tok::kIdent:
        return ParseCall(std::move(token), depth);
      default:
        return Fail(token.pos, "unexpected " + Describe(text_, token.pos));
    }
  }

  struct FunctionInfo {
    std::string_view name;
    Kind kind;
    size_t min_args;
    size_t max_args;  // SIZE_MAX: variadic
  };

  static const FunctionInfo* FindFunction(std::string_view name) {
    static constexpr size_t kAny = SIZE_MAX;
    static constexpr FunctionInfo kFunctions[] = {
        {"coalesce", Kind::kCoalesce, 1, kAny},
        {"lower", Kind::kLower, 1, 1},
        {"upper", Kind::kUpper, 1, 1},
        {"trim", Kind::kTrim, 1, 1},
        {"replace", Kind::kReplace, 3, 3},
        {"digits", Kind::kDigits, 1, 1},
        {"e164", Kind::kE164, 1, 2},
        {"phone_extension", Kind::kPhoneExtension, 1, 2},
        {"left", Kind::kLeft, 2, 2},
        {"right", Kind::kRight, 2, 2},
        {"join", Kind::kJoin, 2, kAny},
        {"first", Kind::kFirst, 1, 1},
        {"switch", Kind::kSwitch, 3, kAny},
    };
    for (const auto& f : kFunctions) {
      if (FoldEqual(f.name, name)) return &f;
    }
    return nullptr;
  }

  static std::string Arguments(size_t n) {
    return std::to_string(n) + (n == 1 ? " argument" : " arguments");
  }

  Result<std::unique_ptr<Node>> ParseCall(Token ident, int depth) {
    const FunctionInfo* info = FindFunction(ident.text);
    if (!Lex()) return error_;
    if (token_.type != Tok::kLParen) {
      if (info == nullptr) {
        return Fail(ident.pos, "unexpected word '" + ident.text + "' (write attributes as {" +
                                   ident.text + "} and text in quotes)");
      }
      return Fail(token_.pos, "expected '(' after " + std::string(info->name));
    }
    if (info == nullptr) return Fail(ident.pos, "unknown function '" + ident.text + "'");
    if (depth >= kMaxDepth) {
      return Fail(ident.pos,
                  "expression nested more than " + std::to_string(kMaxDepth) + " calls deep");
    }
    Consume();
    auto node = std::make_unique<Node>();
    node->kind = info->kind;
    std::vector<size_t> arg_pos;
    if (!Lex()) return error_;
    if (token_.type == Tok::kRParen) {
      Consume();
    } else {
      while (true) {
        if (!Lex()) return error_;
        arg_pos.push_back(token_.pos);
        auto arg = ParseSequence(depth + 1);
        if (!arg.ok()) return arg;
        node->args.push_back(std::move(arg).value());
        if (!Lex()) return error_;
        if (token_.type == Tok::kComma) {
          Consume();
          continue;
        }
        if (token_.type == Tok::kRParen) {
          Consume();
          break;
        }
        return Fail(token_.pos, "expected ')' after arguments of " + std::string(info->name));
      }
    }
    const size_t n = node->args.size();
    const std::string name(info->name);
    if (n < info->min_args || n > info->max_args) {
      std::string expects;
      if (info->max_args == SIZE_MAX) {
        expects = "at least " + Arguments(info->min_args);
      } else if (info->min_args == info->max_args) {
        expects = Arguments(info->min_args);
      } else {
        expects = std::to_string(info->min_args) + " or " + Arguments(info->max_args);
      }
      return Fail(ident.pos, name + " expects " + expects + ", got " + std::to_string(n));
    }
    if (auto status = CheckArguments(*node, name, arg_pos); !status.ok()) return status.error();
    return node;
  }

  static bool IsConstant(const Node& node) { return node.kind == Kind::kLiteral; }

  // Arguments that must be constants are checked, and prepared, once here.
  Status CheckArguments(Node& node, const std::string& name, const std::vector<size_t>& arg_pos) {
    switch (node.kind) {
      case Kind::kLeft:
      case Kind::kRight: {
        const Node& n = *node.args[1];
        if (!IsConstant(n) || !n.is_number) {
          return Fail(arg_pos[1], name + " expects a whole number as argument 2");
        }
        const std::string& digits = n.literal.front();
        size_t value = 0;
        for (char c : digits) {
          value = value * 10 + static_cast<size_t>(c - '0');
          if (value > kMaxCount) return Fail(arg_pos[1], "number too large (at most 1000000)");
        }
        node.count = value;
        node.args.pop_back();
        return Ok();
      }
      case Kind::kReplace: {
        for (size_t i = 1; i < 3; ++i) {
          if (!IsConstant(*node.args[i])) {
            return Fail(arg_pos[i],
                        "replace expects a constant string as argument " + std::to_string(i + 1));
          }
        }
        const std::string& pattern = node.args[1]->literal.front();
        if (auto status = CheckRegexSize(pattern, arg_pos[1]); !status.ok()) return status;
        try {
          // __polynomial (a libstdc++ extension) selects the breadth-first matcher: time
          // linear in the value, so no pattern can stall a run of a million users the
          // way backtracking does on "(a+)+b". It rejects back-references in the pattern.
          node.regex.emplace(pattern, std::regex::ECMAScript | std::regex::optimize |
                                          std::regex_constants::__polynomial);
        } catch (const std::regex_error& e) {
          if (e.code() == std::regex_constants::error_complexity) {
            return Fail(arg_pos[1], "invalid regex: back-references (\\1) are not supported");
          }
          return Fail(arg_pos[1], std::string("invalid regex: ") + e.what());
        }
        node.replacement = node.args[2]->literal.front();
        node.cut_at = CutPattern(pattern, node.replacement);
        node.args.resize(1);
        return Ok();
      }
      case Kind::kE164:
      case Kind::kPhoneExtension: {
        std::string region = "SE";
        if (node.args.size() == 2) {
          const Node& r = *node.args[1];
          if (!IsConstant(r) || r.literal.front().size() != 2 || !IsAlpha(r.literal.front()[0]) ||
              !IsAlpha(r.literal.front()[1])) {
            return Fail(arg_pos[1],
                        name + " expects a two-letter region like \"SE\" as argument 2");
          }
          region = MapCase<UpperByte>(r.literal.front());
          node.args.pop_back();
        }
        node.phone.emplace(PhoneMode::kLenient, std::move(region));
        return Ok();
      }
      case Kind::kSwitch:
        if (node.args.size() % 2 == 1) {  // x, then pairs, then the default
          return Fail(arg_pos.back(), "switch needs a default as last argument");
        }
        return Ok();
      default:
        return Ok();
    }
  }

  // The literal L of a pattern "L.*$" or "L.*" (the default username's "@.*$": strip a
  // domain) with a replacement free of '$' references, or "" for any other pattern.
  // Such a replace cuts the value at the first L, which the evaluator does without the
  // regex engine: std::regex costs microseconds per value, a million users' worth.
  static std::string CutPattern(const std::string& pattern, const std::string& replacement) {
    if (replacement.find('$') != std::string::npos) return {};
    std::string_view p = pattern;
    if (p.size() >= 3 && p.substr(p.size() - 3) == ".*$") {
      p.remove_suffix(3);
    } else if (p.size() >= 2 && p.substr(p.size() - 2) == ".*") {
      p.remove_suffix(2);
    } else {
      return {};
    }
    if (p.empty() || p.find_first_of("\\^$.|?*+()[]{}") != std::string_view::npos) return {};
    return std::string(p);
  }

  // libstdc++ expands counted repetition into copies of the automaton: "a{1000}{1000}"
  // would take seconds and gigabytes, so the product of the bounds is capped.
  Status CheckRegexSize(const std::string& pattern, size_t pos) {
    if (pattern.size() > 1000) return Fail(pos, "invalid regex: longer than 1000 characters");
    uint64_t product = 1;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] != '{') continue;
      uint64_t bound = 0;
      uint64_t current = 0;
      for (size_t j = i + 1; j < pattern.size() && (IsDigit(pattern[j]) || pattern[j] == ',');
           ++j) {
        if (pattern[j] == ',') {
          current = 0;
          continue;
        }
        current = std::min<uint64_t>(current * 10 + static_cast<uint64_t>(pattern[j] - '0'),
                                     kMaxRegexRepeat + 1);
        bound = std::max(bound, current);
      }
      if (bound > 1) product = std::min(product * bound, kMaxRegexRepeat + 1);
      if (product > kMaxRegexRepeat) {
        return Fail(pos, "invalid regex: repetition counts too large");
      }
    }
    return Ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
  Token token_;
  bool peeked_ = false;
  Error error_;
  std::vector<std::string> attributes_;
};

}  // namespace

Result<Expression> Expression::Parse(std::string_view text) {
  if (std::all_of(text.begin(), text.end(), IsAsciiSpace)) {
    return Error::Invalid("empty expression");
  }
  Parser parser(text);
  auto root = parser.ParseAll();
  if (!root.ok()) return root.error();
  Expression expression;
  expression.root_ = std::shared_ptr<const Node>(std::move(root).value());
  expression.attributes_ = parser.TakeAttributes();
  expression.text_ = std::string(text);
  return expression;
}

Value Expression::Evaluate(const SourceObject& object) const {
  if (root_ == nullptr) return {};
  return Eval(*root_, object).Take();
}

std::string Expression::EvaluateScalar(const SourceObject& object) const {
  if (root_ == nullptr) return {};
  const Val v = Eval(*root_, object);
  return v.get().empty() ? std::string() : v.get().front();
}

}  // namespace telsync
