// The mapping expression language (F6).
//
// An expression computes one PBX field from a source object's attributes:
//   {givenName}                        an attribute (case-insensitive name); its values
//   "text" or 'text'                   a constant
//   {givenName} {sn}                   adjacent parts concatenate ("template" syntax)
//   coalesce(a, b, ...)                the first argument with a non-empty value
//   lower(x) upper(x) trim(x)          per value
//   replace(x, "regex", "with")        ECMAScript regex, every match replaced
//   digits(x)                          keeps 0-9 only
//   e164(x [, "SE"])                   libphonenumber E.164 (lenient, region default SE);
//                                      empty when not a valid number
//   left(x, n) right(x, n)             first / last n characters (UTF-8 aware)
//   join("sep", a, b, ...)             all non-empty values of all arguments, joined
//   first(x)                           the first value of a multi-valued attribute
//   switch(x, k1, v1, k2, v2, ..., default)   case-insensitive match of x's first value
// Values are lists of strings (multi-valued attributes); a scalar is a list of one, and
// "absent" is the empty list. Functions map over lists where that makes sense.
//
// Parsing is total: any input gives an expression or an Invalid error whose message
// names the column: "column 12: expected ')' after arguments of lower". Evaluation never
// fails. Thread-safe after parsing (evaluation is const).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/source_object.h"
#include "util/result.h"

namespace telsync {

using Value = std::vector<std::string>;

namespace mapping_detail {
struct Node;
}

class Expression {
 public:
  static Result<Expression> Parse(std::string_view text);

  Value Evaluate(const SourceObject& object) const;
  // The first value of Evaluate, or "".
  std::string EvaluateScalar(const SourceObject& object) const;

  // Attribute names the expression reads, lower-cased, without duplicates: what a source
  // must fetch ($select in Graph, the attribute list in LDAP; SPEC P2).
  const std::vector<std::string>& Attributes() const { return attributes_; }
  const std::string& text() const { return text_; }

 private:
  std::shared_ptr<const mapping_detail::Node> root_;
  std::vector<std::string> attributes_;
  std::string text_;
};

}  // namespace telsync
