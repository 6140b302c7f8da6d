// The mapping expression language (F6).
//
// An expression computes one PBX field from a source object's attributes:
//   {givenName}                        an attribute (case-insensitive name); its values
//   "text" or 'text'                   a constant
//   {givenName} " " {sn}               adjacent parts concatenate ("template" syntax)
//   coalesce(a, b, ...)                the first argument with a non-empty value
//   lower(x) upper(x) trim(x)          per value
//   replace(x, "regex", "with")        ECMAScript regex, every match replaced; "$1" in
//                                      "with" is a group. Matched breadth-first (time
//                                      linear in the value, never a runaway backtrack):
//                                      no back-references in the pattern, and of
//                                      alternatives the longest wins ("a|ab" takes "ab")
//   digits(x)                          keeps 0-9 only
//   e164(x [, "SE"])                   libphonenumber E.164 (lenient, region default SE);
//                                      empty when not a valid number; of a number with
//                                      an extension, the main number
//   phone_extension(x [, "SE"])        the extension digits of a number, read as e164
//                                      reads it ("+1 425 555 0122 x1023" gives "1023");
//                                      empty when the number has no extension or is not
//                                      a valid number (as e164)
//   left(x, n) right(x, n)             first / last n characters (UTF-8 aware)
//   join("sep", a, b, ...)             all non-empty values of all arguments, joined
//   first(x)                           the first value of a multi-valued attribute
//   switch(x, k1, v1, k2, v2, ..., default)   case-insensitive match of x's first value
// Values are lists of strings (multi-valued attributes); a scalar is a list of one, and
// "absent" is the empty list. Functions map over lists where that makes sense.
//
// Grammar (white space between tokens is ignored, never kept):
//   expression := term+                      adjacent terms concatenate with NO space:
//                                            write {givenName} " " {sn} for "Anna Andersson"
//   term       := '{' name '}'               name: letters, digits, _ - . ; :
//                                            (msDS-foo, name.givenName, urn:...:User.department)
//               | '"' chars '"' | '\'' chars '\''   escapes \" \' \\; any other backslash is
//                                            kept, so regexes read naturally: "\d+"
//               | digits                     a number (the n of left/right; text elsewhere)
//               | function '(' [expression (',' expression)*] ')'
// Function names are case-insensitive. Arguments that configure a function must be
// constants and are checked and prepared at parse time: the regex and replacement of
// replace (compiled once; "$1" back-references work), the region of e164 and
// phone_extension (two letters), the n of left/right (a whole number). switch takes x,
// key/value pairs and a default: an even argument count, or "switch needs a default as
// last argument".
//
// Semantics:
//   - An attribute gives all its values; absent gives the empty list. {memberOf}, when
//     the object has no memberOf attribute, gives SourceObject::groups.
//   - A value is "empty" when it has no non-empty string. coalesce picks the first
//     argument that is not empty.
//   - A concatenation yields one string made of each part's first non-empty value
//     ("" for an empty part). When it has attribute or function parts and all of them
//     are empty, the result is absent: {givenName} " " {sn} of a user with neither name
//     is absent, not " ".
//   - lower/upper map ASCII and the Latin-1 letters U+00C0..U+00FE (Å Ä Ö É ...);
//     trim removes ASCII white space and U+00A0; left/right count code points; e164 drops
//     values that are not valid numbers, phone_extension also those without an
//     extension (so coalesce(phone_extension({telephoneNumber}), {ipPhone}) falls back);
//     join joins the non-empty values of its arguments
//     after the separator and is absent when there are none; switch compares
//     case-insensitively (same folding as lower) and "" matches an absent subject.
//
// Parsing is total: any input gives an expression or an Invalid error whose message
// names the column (1-based, in code points): "column 12: expected ')' after arguments
// of lower", "column 1: unknown function 'e165'", "column 1: left expects 2 arguments,
// got 1". Blank text is "empty expression". Calls nest at most 64 deep. Evaluation never
// fails. Thread-safe after parsing (evaluation is const); copies share the parsed tree.
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
