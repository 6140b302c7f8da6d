// MailAddress: the address part of an e-mail address as configured or sent (F20). In util,
// not notify/, because both config/loader.h (checking notify.report_to, smtp.from, ...) and
// notify/ (checking before sending) use it, and config sits below notify
// (docs/architecture.md, Module layers).
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace telsync {

// The address part of "Name <addr>" or a bare "addr". Errors (kInvalid) name the reason:
// empty, no '@', spaces, control characters, or angle brackets that do not close.
Result<std::string> MailAddress(std::string_view text);

}  // namespace telsync
