// GET /phonebook/{tenant}.xml?format=yealink|grandstream|cisco[&page=N][&token=T]: the
// company phonebook of a tenant for desk phones (phonebook.h renders it).
//
// Authentication: a phonebook token of the tenant (`telsync tenant phonebook-token TENANT`,
// kind "phonebook", stored as a SHA-256 hash like the other tokens), sent as the password of
// HTTP Basic auth (any user name) or as ?token= (phones that cannot send Basic auth). A
// missing or wrong token, or another tenant's, is 401 with `WWW-Authenticate: Basic`, the
// same answer for a tenant that does not exist. A phonebook token reaches nothing else, and
// no other token reaches the phonebook.
//
// Answers: 200 text/xml; 400 (text) for a missing or unknown format or a bad page; 404 for a
// path not ending in .xml. Thread-safe (the store is).
#pragma once

#include <string>

#include "server/http/server.h"
#include "store/store.h"

namespace telsync::phonebook {

inline constexpr const char* kTokenKind = "phonebook";

struct PhonebookOptions {
  std::string scheme = "http";  // of the URLs the Cisco "Next" soft key carries
};

// Mounts the route on `server` (before Bind()). `store` outlives the server.
void RegisterPhonebookRoutes(http::HttpServer& server, Store& store, PhonebookOptions options);

// The password of an `Authorization: Basic` header; "" when there is none or it is not one.
std::string BasicPassword(const std::string& authorization);

}  // namespace telsync::phonebook
