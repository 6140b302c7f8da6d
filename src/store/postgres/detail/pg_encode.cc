#include "store/postgres/detail/pg_encode.h"

#include "model/fields.h"
#include "store/detail/columns.h"

namespace telsync::pg_detail {
namespace {

// The length of the well-formed UTF-8 sequence at s[i] (Unicode Table 3-7, as the
// decoder behind Dump accepts), or 0 when it is not one.
size_t Utf8Length(std::string_view s, size_t i) {
  auto cont = [&](size_t at, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    if (at >= s.size()) return false;
    const auto c = static_cast<unsigned char>(s[at]);
    return c >= lo && c <= hi;
  };
  const auto c = static_cast<unsigned char>(s[i]);
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    return cont(i + 1) && cont(i + 2) ? 3 : 0;
  }
  if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (c == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

// Writes items as [["field","old","new"],...]; false (out unchanged) on invalid UTF-8.
class ChangesWriter {
 public:
  explicit ChangesWriter(std::string& out) : out_(out), start_(out.size()) { out_ += '['; }
  bool Add(std::string_view field, std::string_view old_value, std::string_view new_value) {
    if (!ok_) return false;
    out_ += first_ ? "[" : ",[";
    first_ = false;
    ok_ = AppendJsonString(out_, field);
    if (ok_) out_ += ',';
    ok_ = ok_ && AppendJsonString(out_, old_value);
    if (ok_) out_ += ',';
    ok_ = ok_ && AppendJsonString(out_, new_value);
    out_ += ']';
    return ok_;
  }
  bool Finish() {
    if (!ok_) {
      out_.resize(start_);
      return false;
    }
    out_ += ']';
    return true;
  }

 private:
  std::string& out_;
  size_t start_;
  bool first_ = true;
  bool ok_ = true;
};

}  // namespace

bool AppendJsonString(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t start = out.size();
  out += '"';
  size_t plain = 0;
  for (size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      const size_t n = Utf8Length(value, i);
      if (n == 0) {
        out.resize(start);
        return false;
      }
      i += n;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(value.data() + plain, i - plain);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    plain = ++i;
  }
  out.append(value.data() + plain, value.size() - plain);
  out += '"';
  return true;
}

void AppendChangesJson(std::string& out, const std::vector<FieldChange>& changes) {
  if (changes.empty()) {
    out += "[]";
    return;
  }
  ChangesWriter writer(out);
  for (const FieldChange& c : changes) writer.Add(c.field, c.old_value, c.new_value);
  if (!writer.Finish()) out += store_detail::ChangesJson(changes);
}

void AppendItemChangesJson(std::string& out, const PlanItem& item) {
  // EffectiveChanges derives a create's changes from its target; the same walk here,
  // without the vector of copies.
  if (item.action != Action::kCreate || !item.changes.empty()) {
    AppendChangesJson(out, item.changes);
    return;
  }
  const PbxUser& t = *item.target;
  ChangesWriter writer(out);
  for (size_t i = 0; i < kFieldCount; ++i) {
    const std::string_view v = t.fields.Get(static_cast<Field>(i));
    if (!v.empty()) writer.Add(FieldName(static_cast<Field>(i)), "", v);
  }
  if (!t.searchable) {
    writer.Add("searchable", "", "false");
  }
  if (!t.groups.empty()) {
    std::string groups;
    for (const auto& g : t.groups) groups += (groups.empty() ? "" : ",") + g;
    writer.Add("groups", "", groups);
  }
  for (const auto& [name, value] : t.custom) {
    writer.Add("custom." + name, "", value);
  }
  if (!writer.Finish()) out += store_detail::ChangesJson(EffectiveChanges(item));
}

}  // namespace telsync::pg_detail
