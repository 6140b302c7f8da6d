// Secret: a configured credential (a client secret, a bind or SMTP password). Declared in
// util because every module that holds one (sources, notify, config) sits above util;
// config/loader.h resolves `${env:NAME}` and `${file:path}` into it.
#pragma once

#include <string>
#include <utility>

namespace telsync {

// A secret value resolved from `${env:NAME}`, `${file:/path}` or a literal. Never logged:
// Masked() is what reports and errors show.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value, std::string origin = "literal")
      : value_(std::move(value)), origin_(std::move(origin)) {}
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  // "********" (or "" when unset), plus where it came from: "env:GRAPH_SECRET".
  std::string Masked() const;

 private:
  std::string value_;
  std::string origin_;
};

}  // namespace telsync
