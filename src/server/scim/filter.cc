#include "server/scim/filter.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace telsync::scim {
namespace {

using nlohmann::json;

constexpr std::string_view kCoreUser = "urn:ietf:params:scim:schemas:core:2.0:User";
constexpr std::string_view kCoreGroup = "urn:ietf:params:scim:schemas:core:2.0:Group";

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string LowerCopy(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = Lower(c);
  return out;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '$'; }
bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// ATTRNAME = ALPHA *(nameChar); "$ref" is the one name RFC 7643 starts with '$'.
bool IsAttrName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  if (name[0] == '$' && !EqualsIgnoreCase(name, "$ref")) return false;
  return std::all_of(name.begin() + 1, name.end(), IsNameChar);
}

Error FilterError(std::string message) {
  return Error::Invalid("filter: " + std::move(message)).WithScimType("invalidFilter");
}

// ---- lexer ----

struct Token {
  enum class Kind { kWord, kString, kLParen, kRParen, kLBracket, kRBracket, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // kWord: as written; kString: the decoded value
  size_t pos = 0;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // Reads every token; the error names the offset.
  Result<std::vector<Token>> All() {
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                     text_[pos_] == '\n' || text_[pos_] == '\r')) {
        ++pos_;
      }
      Token token;
      token.pos = pos_;
      if (pos_ >= text_.size()) {
        tokens.push_back(token);
        return tokens;
      }
      const char c = text_[pos_];
      if (c == '(' || c == ')' || c == '[' || c == ']') {
        token.kind = c == '('   ? Token::Kind::kLParen
                     : c == ')' ? Token::Kind::kRParen
                     : c == '[' ? Token::Kind::kLBracket
                                : Token::Kind::kRBracket;
        token.text = std::string(1, c);
        ++pos_;
      } else if (c == '"') {
        auto decoded = String();
        if (!decoded.ok()) return decoded.error();
        token.kind = Token::Kind::kString;
        token.text = std::move(decoded).value();
      } else {
        const size_t start = pos_;
        while (pos_ < text_.size()) {
          const char d = text_[pos_];
          if (d == ' ' || d == '\t' || d == '\n' || d == '\r' || d == '(' || d == ')' || d == '[' ||
              d == ']' || d == '"') {
            break;
          }
          ++pos_;
        }
        token.kind = Token::Kind::kWord;
        token.text = std::string(text_.substr(start, pos_ - start));
      }
      tokens.push_back(std::move(token));
    }
  }

 private:
  // A JSON string literal, decoded by nlohmann (escapes, \u sequences, UTF-8 checks).
  Result<std::string> String() {
    const size_t start = pos_++;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\') ++pos_;
      ++pos_;
    }
    if (pos_ >= text_.size()) {
      return FilterError("unterminated string starting at offset " + std::to_string(start));
    }
    ++pos_;
    const std::string_view literal = text_.substr(start, pos_ - start);
    json parsed = json::parse(literal.begin(), literal.end(), nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_string()) {
      return FilterError("invalid string at offset " + std::to_string(start));
    }
    return parsed.get<std::string>();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::optional<CompareOp> OpFromWord(std::string_view word) {
  static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
      {"eq", CompareOp::kEq}, {"ne", CompareOp::kNe}, {"co", CompareOp::kCo},
      {"sw", CompareOp::kSw}, {"ew", CompareOp::kEw}, {"pr", CompareOp::kPr},
      {"gt", CompareOp::kGt}, {"ge", CompareOp::kGe}, {"lt", CompareOp::kLt},
      {"le", CompareOp::kLe}};
  for (const auto& [name, op] : kOps) {
    if (EqualsIgnoreCase(word, name)) return op;
  }
  return std::nullopt;
}

// A JSON number as RFC 7644 allows it in compValue: -?int[.frac][e[+-]exp].
bool IsNumber(std::string_view w) {
  size_t i = 0;
  if (i < w.size() && w[i] == '-') ++i;
  const size_t digits = i;
  while (i < w.size() && std::isdigit(static_cast<unsigned char>(w[i]))) ++i;
  if (i == digits) return false;
  if (i < w.size() && w[i] == '.') {
    const size_t frac = ++i;
    while (i < w.size() && std::isdigit(static_cast<unsigned char>(w[i]))) ++i;
    if (i == frac) return false;
  }
  if (i < w.size() && (w[i] == 'e' || w[i] == 'E')) {
    ++i;
    if (i < w.size() && (w[i] == '+' || w[i] == '-')) ++i;
    const size_t exp = i;
    while (i < w.size() && std::isdigit(static_cast<unsigned char>(w[i]))) ++i;
    if (i == exp) return false;
  }
  return i == w.size() && w.size() < 64;
}

// ---- parser ----

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<Filter> Parse() {
    auto filter = Or(0);
    if (!filter.ok()) return filter;
    if (Peek().kind != Token::Kind::kEnd) return Unexpected("the end of the filter");
    return filter;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

  bool PeekKeyword(std::string_view keyword) const {
    return Peek().kind == Token::Kind::kWord && EqualsIgnoreCase(Peek().text, keyword);
  }

  Error Unexpected(std::string_view expected) const {
    const Token& t = Peek();
    std::string found = t.kind == Token::Kind::kEnd      ? "the end"
                        : t.kind == Token::Kind::kString ? "a string"
                                                         : "'" + t.text.substr(0, 40) + "'";
    return FilterError("expected " + std::string(expected) + " at offset " + std::to_string(t.pos) +
                       ", found " + found);
  }

  Result<Filter> Or(int depth) {
    auto left = And(depth);
    if (!left.ok()) return left;
    Filter result = std::move(left).value();
    while (PeekKeyword("or")) {
      Next();
      auto right = And(depth);
      if (!right.ok()) return right;
      Filter node;
      node.kind = Filter::Kind::kOr;
      node.children.push_back(std::move(result));
      node.children.push_back(std::move(right).value());
      result = std::move(node);
    }
    return result;
  }

  Result<Filter> And(int depth) {
    auto left = Unary(depth);
    if (!left.ok()) return left;
    Filter result = std::move(left).value();
    while (PeekKeyword("and")) {
      Next();
      auto right = Unary(depth);
      if (!right.ok()) return right;
      Filter node;
      node.kind = Filter::Kind::kAnd;
      node.children.push_back(std::move(result));
      node.children.push_back(std::move(right).value());
      result = std::move(node);
    }
    return result;
  }

  Result<Filter> Unary(int depth) {
    if (depth >= kMaxFilterDepth) {
      return FilterError("nested more than " + std::to_string(kMaxFilterDepth) + " levels deep");
    }
    if (PeekKeyword("not")) {
      Next();
      if (Peek().kind != Token::Kind::kLParen) return Unexpected("'(' after 'not'");
      Next();
      auto inner = Or(depth + 1);
      if (!inner.ok()) return inner;
      if (Peek().kind != Token::Kind::kRParen) return Unexpected("')'");
      Next();
      Filter node;
      node.kind = Filter::Kind::kNot;
      node.children.push_back(std::move(inner).value());
      return node;
    }
    if (Peek().kind == Token::Kind::kLParen) {
      Next();
      auto inner = Or(depth + 1);
      if (!inner.ok()) return inner;
      if (Peek().kind != Token::Kind::kRParen) return Unexpected("')'");
      Next();
      return inner;
    }
    if (Peek().kind != Token::Kind::kWord) return Unexpected("an attribute name");
    const Token& name = Next();
    auto attr = ParseAttrPath(name.text);
    if (!attr.ok()) {
      return FilterError("'" + name.text.substr(0, 60) + "' at offset " + std::to_string(name.pos) +
                         " is not an attribute path");
    }
    if (Peek().kind == Token::Kind::kLBracket) {
      Next();
      auto inner = Or(depth + 1);
      if (!inner.ok()) return inner;
      if (Peek().kind != Token::Kind::kRBracket) return Unexpected("']'");
      const size_t close = Next().pos;
      Filter node;
      node.kind = Filter::Kind::kValuePath;
      node.attr = std::move(attr).value();
      Filter element = std::move(inner).value();
      // valuePath "." subAttr compareOp compValue: Entra matches users by
      // `emails[type eq "work"].value eq "a@b.c"` (Microsoft: "Tutorial: Develop and plan
      // provisioning for a SCIM endpoint", matching attributes). RFC 7644's FILTER has no
      // subAttr after a valuePath (its PATCH PATH does); the meaning is the one element
      // filter `emails[type eq "work" and value eq "a@b.c"]`, which is what it becomes.
      if (Peek().kind == Token::Kind::kWord && Peek().pos == close + 1 && !Peek().text.empty() &&
          Peek().text[0] == '.') {
        const Token& sub = Next();
        const std::string name = sub.text.substr(1);
        if (!IsAttrName(name)) {
          return FilterError("'" + sub.text.substr(0, 60) + "' at offset " +
                             std::to_string(sub.pos) + " is not a '.subAttribute'");
        }
        auto compare = Comparison(AttrPath{"", name, ""});
        if (!compare.ok()) return compare;
        Filter both;
        both.kind = Filter::Kind::kAnd;
        both.children.push_back(std::move(element));
        both.children.push_back(std::move(compare).value());
        element = std::move(both);
      }
      node.children.push_back(std::move(element));
      return node;
    }
    return Comparison(std::move(attr).value());
  }

  // attrPath compareOp compValue, or attrPath "pr"; the attribute path is already read.
  Result<Filter> Comparison(AttrPath attr) {
    if (Peek().kind != Token::Kind::kWord)
      return Unexpected("an operator (eq, ne, co, sw, ew, pr, gt, ge, lt, le)");
    const auto op = OpFromWord(Peek().text);
    if (!op) return Unexpected("an operator (eq, ne, co, sw, ew, pr, gt, ge, lt, le)");
    Next();
    Filter node;
    node.kind = Filter::Kind::kCompare;
    node.attr = std::move(attr);
    node.op = *op;
    if (*op == CompareOp::kPr) return node;
    const Token& value = Peek();
    if (value.kind == Token::Kind::kString) {
      node.value = value.text;
    } else if (value.kind == Token::Kind::kWord && EqualsIgnoreCase(value.text, "true")) {
      node.value = true;
    } else if (value.kind == Token::Kind::kWord && EqualsIgnoreCase(value.text, "false")) {
      node.value = false;
    } else if (value.kind == Token::Kind::kWord && EqualsIgnoreCase(value.text, "null")) {
      node.value = nullptr;
    } else if (value.kind == Token::Kind::kWord && IsNumber(value.text)) {
      node.value = json::parse(value.text, nullptr, false);
      if (node.value.is_discarded()) return Unexpected("a number");
    } else {
      return Unexpected("a value (a \"string\", a number, true, false or null)");
    }
    Next();
    if ((*op == CompareOp::kCo || *op == CompareOp::kSw || *op == CompareOp::kEw) &&
        !node.value.is_string()) {
      return FilterError("co, sw and ew compare strings only");
    }
    return node;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

// ---- matching ----

bool IsCoreSchema(std::string_view uri) {
  return EqualsIgnoreCase(uri, kCoreUser) || EqualsIgnoreCase(uri, kCoreGroup);
}

// The values an attribute path denotes in `resource`, flattened one level: a
// multi-valued attribute yields its elements, a sub-attribute of a multi-valued
// complex attribute yields each element's sub-attribute.
void Resolve(const json& resource, const AttrPath& attr, std::vector<const json*>& out) {
  const json* container = &resource;
  if (!attr.uri.empty() && !IsCoreSchema(attr.uri)) {
    container = FindMember(resource, attr.uri);
    if (container == nullptr) return;
  }
  const json* value = FindMember(*container, attr.name);
  if (value == nullptr || value->is_null()) return;
  auto add = [&](const json& v) {
    if (attr.sub.empty()) {
      out.push_back(&v);
    } else if (const json* s = FindMember(v, attr.sub); s != nullptr && !s->is_null()) {
      out.push_back(s);
    }
  };
  if (value->is_array()) {
    for (const json& element : *value) add(element);
  } else {
    add(*value);
  }
}

bool IsCaseExact(const AttrPath& attr) {
  return (attr.sub.empty() &&
          (EqualsIgnoreCase(attr.name, "id") || EqualsIgnoreCase(attr.name, "externalId"))) ||
         (EqualsIgnoreCase(attr.name, "members") && EqualsIgnoreCase(attr.sub, "value"));
}

bool Present(const json& v) {
  if (v.is_null()) return false;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  if (v.is_array() || v.is_object()) return !v.empty();
  return true;
}

bool CompareOne(const json& actual_in, CompareOp op, const json& expected, bool case_exact) {
  // A complex value compares by its "value" sub-attribute (`emails eq "a@b"`).
  const json* actual = &actual_in;
  if (actual->is_object()) {
    actual = FindMember(*actual, "value");
    if (actual == nullptr) return false;
  }
  if (expected.is_null()) return op == CompareOp::kEq ? actual->is_null() : !actual->is_null();
  if (expected.is_boolean()) {
    bool value = false;
    if (actual->is_boolean()) {
      value = actual->get<bool>();
    } else if (actual->is_string()) {  // Entra's "active": "False"
      const std::string& s = actual->get_ref<const std::string&>();
      if (EqualsIgnoreCase(s, "true")) {
        value = true;
      } else if (!EqualsIgnoreCase(s, "false")) {
        return false;
      }
    } else {
      return false;
    }
    if (op == CompareOp::kEq) return value == expected.get<bool>();
    return false;  // ordering of booleans is undefined
  }
  if (expected.is_number()) {
    if (!actual->is_number()) return false;
    const double a = actual->get<double>();
    const double e = expected.get<double>();
    switch (op) {
      case CompareOp::kEq:
        return a == e;
      case CompareOp::kGt:
        return a > e;
      case CompareOp::kGe:
        return a >= e;
      case CompareOp::kLt:
        return a < e;
      case CompareOp::kLe:
        return a <= e;
      default:
        return false;
    }
  }
  if (!expected.is_string() || !actual->is_string()) return false;
  std::string a = actual->get<std::string>();
  std::string e = expected.get<std::string>();
  if (!case_exact) {
    a = LowerCopy(a);
    e = LowerCopy(e);
  }
  switch (op) {
    case CompareOp::kEq:
      return a == e;
    case CompareOp::kCo:
      return a.find(e) != std::string::npos;
    case CompareOp::kSw:
      return a.compare(0, e.size(), e) == 0;
    case CompareOp::kEw:
      return a.size() >= e.size() && a.compare(a.size() - e.size(), e.size(), e) == 0;
    case CompareOp::kGt:
      return a > e;
    case CompareOp::kGe:
      return a >= e;
    case CompareOp::kLt:
      return a < e;
    case CompareOp::kLe:
      return a <= e;
    default:
      return false;
  }
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

const nlohmann::json* FindMember(const nlohmann::json& object, std::string_view name) {
  if (!object.is_object()) return nullptr;
  // Exact spelling first: the common case, and a hash lookup.
  auto exact = object.find(std::string(name));
  if (exact != object.end()) return &*exact;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (EqualsIgnoreCase(it.key(), name)) return &it.value();
  }
  return nullptr;
}

nlohmann::json* FindMember(nlohmann::json& object, std::string_view name) {
  return const_cast<nlohmann::json*>(FindMember(static_cast<const nlohmann::json&>(object), name));
}

std::string AttrPath::ToString() const {
  std::string out;
  if (!uri.empty()) out = uri + ":";
  out += name;
  if (!sub.empty()) out += "." + sub;
  return out;
}

std::string PatchPath::ToString() const {
  std::string out = attr.ToString();
  if (filter) out += "[...]";
  if (!sub.empty()) out += "." + sub;
  return out;
}

Result<AttrPath> ParseAttrPath(std::string_view text) {
  AttrPath path;
  std::string_view rest = text;
  if (StartsWithIgnoreCase(text, "urn:")) {
    const size_t colon = text.rfind(':');
    path.uri = std::string(text.substr(0, colon));
    rest = text.substr(colon + 1);
    // A URN is printable ASCII without spaces (RFC 8141); anything else is not a schema.
    const bool urn_chars = std::all_of(path.uri.begin(), path.uri.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '-' ||
             c == '_';
    });
    if (path.uri.size() <= 4 || !urn_chars) {
      return Error::Invalid("'" + std::string(text.substr(0, 80)) + "' is not an attribute path")
          .WithScimType("invalidPath");
    }
  }
  const size_t dot = rest.find('.');
  path.name = std::string(rest.substr(0, dot));
  if (dot != std::string_view::npos) path.sub = std::string(rest.substr(dot + 1));
  if (!IsAttrName(path.name) || (dot != std::string_view::npos && !IsAttrName(path.sub))) {
    return Error::Invalid("'" + std::string(text.substr(0, 80)) + "' is not an attribute path")
        .WithScimType("invalidPath");
  }
  return path;
}

Result<Filter> ParseFilter(std::string_view text) {
  if (text.size() > 4096) return FilterError("longer than 4096 characters");
  auto tokens = Lexer(text).All();
  if (!tokens.ok()) return tokens.error();
  return Parser(std::move(tokens).value()).Parse();
}

bool Matches(const Filter& filter, const nlohmann::json& resource) {
  switch (filter.kind) {
    case Filter::Kind::kAnd:
      return Matches(filter.children[0], resource) && Matches(filter.children[1], resource);
    case Filter::Kind::kOr:
      return Matches(filter.children[0], resource) || Matches(filter.children[1], resource);
    case Filter::Kind::kNot:
      return !Matches(filter.children[0], resource);
    case Filter::Kind::kValuePath: {
      std::vector<const json*> values;
      Resolve(resource, filter.attr, values);
      return std::any_of(values.begin(), values.end(),
                         [&](const json* v) { return Matches(filter.children[0], *v); });
    }
    case Filter::Kind::kCompare: {
      std::vector<const json*> values;
      Resolve(resource, filter.attr, values);
      if (filter.op == CompareOp::kPr) {
        return std::any_of(values.begin(), values.end(), [](const json* v) { return Present(*v); });
      }
      const bool exact = IsCaseExact(filter.attr);
      if (filter.op == CompareOp::kNe) {
        if (filter.value.is_null()) return !values.empty();
        return std::none_of(values.begin(), values.end(), [&](const json* v) {
          return CompareOne(*v, CompareOp::kEq, filter.value, exact);
        });
      }
      if (values.empty()) return filter.op == CompareOp::kEq && filter.value.is_null();
      return std::any_of(values.begin(), values.end(), [&](const json* v) {
        return CompareOne(*v, filter.op, filter.value, exact);
      });
    }
  }
  return false;
}

Result<PatchPath> ParsePath(std::string_view text) {
  auto path_error = [&](const std::string& why) {
    return Error::Invalid("path '" + std::string(text.substr(0, 120)) + "': " + why)
        .WithScimType("invalidPath");
  };
  if (text.empty()) return path_error("empty");
  if (text.size() > 4096) return path_error("longer than 4096 characters");
  PatchPath path;
  const size_t bracket = text.find('[');
  if (bracket == std::string_view::npos) {
    auto attr = ParseAttrPath(text);
    if (!attr.ok()) return path_error("not an attribute path");
    path.attr = std::move(attr).value();
    return path;
  }
  auto attr = ParseAttrPath(text.substr(0, bracket));
  if (!attr.ok() || !attr->sub.empty()) return path_error("not an attribute path before '['");
  path.attr = std::move(attr).value();
  // The closing bracket: the last one, since a string inside the filter may hold ']'.
  const size_t close = text.rfind(']');
  if (close == std::string_view::npos || close < bracket) return path_error("missing ']'");
  auto filter = ParseFilter(text.substr(bracket + 1, close - bracket - 1));
  if (!filter.ok()) return path_error(filter.error().message);
  path.filter = std::move(filter).value();
  std::string_view rest = text.substr(close + 1);
  if (!rest.empty()) {
    if (rest[0] != '.' || !IsAttrName(rest.substr(1))) {
      return path_error("expected '.subAttribute' after ']'");
    }
    path.sub = std::string(rest.substr(1));
  }
  return path;
}

}  // namespace telsync::scim
