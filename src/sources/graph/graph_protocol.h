// The pure parts of the Microsoft Graph source (F1): what is sent ($select), how answers are
// read (user pages, token answers, error bodies) and how waits are chosen. No I/O here, so
// each piece is unit-tested table-driven (graph_protocol_test.cc).
//
// Shapes follow Microsoft's documentation:
// - token answer {"token_type","expires_in","access_token"}; token errors {"error",
//   "error_description": "AADSTS7000215: Invalid client secret provided. …", "error_codes":
//   [7000215], "timestamp", "trace_id", "correlation_id"} (identity platform, client
//   credentials flow);
// - Graph errors {"error": {"code", "message", "innerError": {"date", "request-id",
//   "client-request-id"}}} (Graph "errors" page);
// - user pages {"value": [...], "@odata.nextLink"} and delta pages ending with
//   "@odata.deltaLink"; removed users carry "@removed": {"reason": "changed"|"deleted"}.
// Messages never include a request, a token or a secret: only what the server said.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/source_object.h"
#include "util/result.h"

namespace telsync::graph {

// The user properties the source offers (TestConnection lists them); Graph's spelling.
const std::vector<std::string>& OfferedProperties();

// The $select list for the mapped attributes (lower-case names from the mapping): Graph's
// spelling for known properties, "a.b" reduced to "a", memberOf dropped ($expand gives it),
// plus id, accountEnabled and userType (needed for enabled and the guest rule). Empty
// `attributes` selects every offered property. Sorted, without repeats.
std::vector<std::string> SelectFor(const std::vector<std::string>& attributes);

struct PageInfo {
  std::string next_link;   // "" on the last page
  std::string delta_link;  // delta answers: set on the last page
  size_t users = 0;        // users handed to the sink
  size_t bad = 0;          // records without an id (reported and skipped)
  // Users with limited information: an id and every other property null. Graph answers a
  // relationship (a group's members) so when the app may read the relationship but not the
  // users (GroupMember.Read.All without User.Read.All). Not handed to the sink: their
  // nulls are not the directory's values.
  size_t limited = 0;
};

// Parses one page of users (a /users, transitiveMembers or /users/delta answer) and hands
// each user to `on_user` as it is read. Scalars become attributes (booleans "true"/"false",
// null absent), arrays of scalars multi-valued attributes, nested objects "a.b";
// $expand=memberOf's group objects give `groups` and the "memberOf" attribute;
// accountEnabled false disables; "@removed" marks deleted. `body` must have capacity for
// simdjson's padding (ReservePadding). Error (kUnavailable) when the page is not JSON.
Result<PageInfo> ParseUsersPage(std::string& body,
                                const std::function<void(SourceObject&&)>& on_user,
                                const std::function<void(const std::string&)>& on_bad);
// Makes room after the body's end for the parser's padding (no copy of the page).
void ReservePadding(std::string& body);

struct Token {
  std::string access_token;
  double expires_in = 0;  // seconds
};
// A token endpoint answer: the token, or an Error (kAuth) in plain words from the AADSTS
// code. `tenant` and `client_id` name what to check; the secret is never part of it.
Result<Token> ParseTokenAnswer(long status, const std::string& body,  // NOLINT(runtime/int)
                               const std::string& tenant, const std::string& client_id);

// What a Graph error answer means, in plain words. `what` names the request ("reading users",
// "reading group Sales"); `permission` is the permission that request needs.
Error GraphError(long status, const std::string& body, const std::string& what,  // NOLINT
                 const std::string& permission);
// The Graph error code of an error body ("syncStateNotFound"), or "".
std::string GraphErrorCode(const std::string& body);

// Seconds to wait before retry `attempt` (0-based): Retry-After when given, else exponential
// back-off from 1 s doubling up to 60 s, with "full jitter" in [half, whole] from `unit`
// (a random number in [0, 1)).
double RetryDelay(int attempt, std::optional<double> retry_after, double unit);

// The cursor of a tenant-scope read: the users and groups delta links and when the last full
// read happened. Encoded as JSON so it can grow; Decode gives nullopt for anything else.
struct Cursor {
  std::string users;
  std::string groups;
  int64_t full_read_at = 0;  // unix seconds
};
std::string EncodeCursor(const Cursor& cursor);
// A string member of a JSON object, or `fallback` when it is missing or not a string
// (nlohmann's value() throws on a type mismatch, and these bodies come from the network).
std::string StringMember(const nlohmann::json& json, const char* key, std::string fallback = {});

std::optional<Cursor> DecodeCursor(const std::string& text);

// OData string literal for $filter: 'it''s'.
std::string ODataQuote(const std::string& value);
bool LooksLikeGuid(const std::string& value);

}  // namespace telsync::graph
