#include "store/postgres/detail/pg_conn.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace telsync::pg_detail {
namespace {

// SQLSTATE classes and codes that a retry may cure: connection exceptions (08), operator
// intervention such as a shutdown (57P), insufficient resources such as too many
// connections (53), serialization failures and deadlocks (40001, 40P01).
bool IsTransient(std::string_view state) {
  return state.starts_with("08") || state.starts_with("57P") || state.starts_with("53") ||
         state == "40001" || state == "40P01";
}

std::string FirstLine(std::string_view text) {
  const size_t end = text.find('\n');
  std::string line(text.substr(0, end));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace

int64_t PgResult::Int(int row, int col) const {
  const std::string_view text = Text(row, col);
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

int64_t PgResult::Affected() const {
  if (!result_) return 0;
  const char* text = PQcmdTuples(result_.get());
  int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

std::vector<const char*> Params::Values() const {
  std::vector<const char*> out;
  out.reserve(owned_.size());
  for (size_t i = 0; i < owned_.size(); ++i) {
    out.push_back(nulls_[i] ? nullptr : owned_[i].c_str());
  }
  return out;
}

void CopyBuffer::Escape(std::string& out, std::string_view value) {
  // Runs of plain bytes are appended at once: most values need no escape at all.
  size_t plain = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '\t' && c != '\n' && c != '\r' && c != '\0') continue;
    out.append(value.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        break;  // NUL: text cannot hold it; the validators upstream reject it anyway
    }
  }
  out.append(value.data() + plain, value.size() - plain);
}

void CopyBuffer::Field(std::string_view value) {
  Escape(data_, value);
  data_ += '\t';
}

void CopyBuffer::Int(int64_t value) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof(text), value).ptr;
  data_.append(text, end);
  data_ += '\t';
}

Result<std::unique_ptr<Conn>> Conn::Open(const std::string& url) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error);
  if (options == nullptr) {
    // libpq's message may quote the bad part of the URL, which may hold the password.
    if (parse_error != nullptr) PQfreemem(parse_error);
    return Error::Invalid("not a valid PostgreSQL URL (postgres://user:password@host:port/db)",
                          "store");
  }
  std::string host, hostaddr, port, password;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view key = o->keyword;
    if (key == "host") host = o->val;
    if (key == "hostaddr") hostaddr = o->val;
    if (key == "port") port = o->val;
    if (key == "password") password = o->val;
  }
  PQconninfoFree(options);
  if (host.empty()) host = hostaddr.empty() ? "localhost" : hostaddr;
  if (port.empty()) port = "5432";
  const std::string where = host + ":" + port;

  // Defaults first: the URL's own settings override them (expand_dbname).
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {"10", "telsync", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Error::Internal("out of memory opening a PostgreSQL connection");
  std::unique_ptr<Conn> out(new Conn(conn, where, password));
  if (PQstatus(conn) != CONNECTION_OK) {
    return Error::Unavailable("cannot connect to PostgreSQL at " + where + ": " +
                                  out->Scrub(FirstLine(PQerrorMessage(conn))),
                              "store");
  }
  // Notices (e.g. "relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return out;
}

Conn::~Conn() { PQfinish(conn_); }

std::string Conn::Scrub(std::string message) const {
  if (password_.empty()) return message;
  for (size_t at = message.find(password_); at != std::string::npos;
       at = message.find(password_, at)) {
    message.replace(at, password_.size(), "***");
    at += 3;
  }
  return message;
}

Status Conn::EnsureConnected() {
  if (PQstatus(conn_) == CONNECTION_OK) return Ok();
  if (in_transaction_) {
    return Error::Unavailable("lost the connection to PostgreSQL at " + where_ +
                              " in a transaction");
  }
  PQreset(conn_);
  prepared_.clear();
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Error::Unavailable("cannot connect to PostgreSQL at " + where_ + ": " +
                              Scrub(FirstLine(PQerrorMessage(conn_))));
  }
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  return Ok();
}

Error Conn::ErrorOf(const PGresult* result, std::string_view what) const {
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Error::Unavailable(std::string(what) + ": lost the connection to PostgreSQL at " +
                              where_);
  }
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const char* detail = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL) : nullptr;
  std::string message = std::string(what) + ": " +
                        (primary ? std::string(primary) : FirstLine(PQerrorMessage(conn_)));
  if (detail != nullptr) message += " (" + FirstLine(detail) + ")";
  message = Scrub(std::move(message));
  const std::string_view code = state ? state : "";
  if (code == "23505") return Error::Conflict(std::move(message));
  if (IsTransient(code)) return Error::Unavailable(std::move(message));
  return Error::Internal(std::move(message));
}

namespace {
bool Succeeded(const PGresult* result) {
  const ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}
}  // namespace

Result<PgResult> Conn::Exec(std::string_view sql, std::string_view what) {
  return Exec(std::string(sql), Params(), what);
}

Result<PgResult> Conn::Exec(const std::string& sql, const Params& params, std::string_view what) {
  if (Status s = EnsureConnected(); !s.ok()) return s.error();
  const std::vector<const char*> values = params.Values();
  PGresult* raw = params.size() == 0 ? PQexec(conn_, sql.c_str())
                                     : PQexecParams(conn_, sql.c_str(), params.size(), nullptr,
                                                    values.data(), nullptr, nullptr, 0);
  if (!Succeeded(raw)) {
    Error error = ErrorOf(raw, what);
    PQclear(raw);
    return error;
  }
  return PgResult(raw);
}

Result<PgResult> Conn::ExecPrepared(const char* name, const std::string& sql, const Params& params,
                                    std::string_view what) {
  if (Status s = EnsureConnected(); !s.ok()) return s.error();
  if (!prepared_.contains(name)) {
    PGresult* prepared = PQprepare(conn_, name, sql.c_str(), 0, nullptr);
    if (!Succeeded(prepared)) {
      Error error = ErrorOf(prepared, what);
      PQclear(prepared);
      return error;
    }
    PQclear(prepared);
    prepared_.insert(name);
  }
  const std::vector<const char*> values = params.Values();
  PGresult* raw = PQexecPrepared(conn_, name, params.size(), values.data(), nullptr, nullptr, 0);
  if (!Succeeded(raw)) {
    Error error = ErrorOf(raw, what);
    PQclear(raw);
    return error;
  }
  return PgResult(raw);
}

Status Conn::CopyIn(const std::string& copy_sql, const CopyBuffer& rows, std::string_view what) {
  auto stream = CopyStream::Start(*this, copy_sql, what);
  if (!stream.ok()) return stream.error();
  const std::string& data = rows.data();
  for (size_t at = 0; at < data.size(); at += CopyStream::kChunk) {
    const size_t n = std::min(CopyStream::kChunk, data.size() - at);
    stream->rows().buffer().assign(data, at, n);
    if (!stream->Flush(/*force=*/true).ok()) break;
  }
  return stream->Finish();
}

Result<CopyStream> CopyStream::Start(Conn& conn, const std::string& copy_sql,
                                     std::string_view what) {
  if (Status s = conn.EnsureConnected(); !s.ok()) return s.error();
  PGresult* start = PQexec(conn.conn_, copy_sql.c_str());
  if (PQresultStatus(start) != PGRES_COPY_IN) {
    Error error = conn.ErrorOf(start, what);
    PQclear(start);
    return error;
  }
  PQclear(start);
  CopyStream stream(&conn, std::string(what));
  stream.rows_.buffer().reserve(kChunk + (64u << 10));
  return stream;
}

CopyStream::~CopyStream() {
  if (conn_ != nullptr) (void)End("telsync: COPY abandoned");
}

Status CopyStream::Flush(bool force) {
  std::string& data = rows_.buffer();
  if (conn_ == nullptr) return Error::Internal(what_ + ": COPY already finished");
  if (data.empty() || (!force && data.size() < kChunk)) return Ok();
  if (sent_) {
    // Blocking mode: libpq sends as its buffer fills and waits only when the server is
    // behind. A server error ends the COPY on its side; libpq then refuses more data.
    sent_ = PQputCopyData(conn_->conn_, data.data(), static_cast<int>(data.size())) == 1;
  }
  data.clear();
  if (!sent_) return Error::Internal(what_ + ": sending rows failed");
  return Ok();
}

Status CopyStream::Finish() {
  if (conn_ == nullptr) return Error::Internal(what_ + ": COPY already finished");
  (void)Flush(/*force=*/true);
  return End(sent_ ? nullptr : "telsync: sending rows failed");
}

Status CopyStream::End(const char* abort_message) {
  Conn* conn = std::exchange(conn_, nullptr);
  PQputCopyEnd(conn->conn_, abort_message);
  Status status = Ok();
  while (PGresult* r = PQgetResult(conn->conn_)) {
    if (status.ok() && !Succeeded(r)) status = conn->ErrorOf(r, what_);
    PQclear(r);
  }
  if (status.ok() && abort_message != nullptr) {
    status = Error::Internal(what_ + ": " + abort_message);
  }
  return status;
}

Result<Transaction> Transaction::Begin(Conn& conn) {
  // As in SQLite: one transaction at a time per connection. PostgreSQL would only warn,
  // and the inner COMMIT would then commit the outer transaction's work early.
  if (conn.in_transaction_) {
    return Error::Internal("store: a transaction is already open on this connection");
  }
  Result<PgResult> r = conn.Exec(std::string("BEGIN"), Params(), "begin transaction");
  if (!r.ok()) return r.error();
  conn.in_transaction_ = true;
  return Transaction(&conn);
}

Transaction::~Transaction() {
  if (conn_ == nullptr) return;
  conn_->in_transaction_ = false;
  if (PQstatus(conn_->handle()) == CONNECTION_OK) {
    PQclear(PQexec(conn_->handle(), "ROLLBACK"));
  }
}

Status Transaction::Commit() {
  Conn* conn = std::exchange(conn_, nullptr);
  if (conn == nullptr) return Error::Internal("transaction committed twice");
  conn->in_transaction_ = false;
  Result<PgResult> r = conn->Exec(std::string("COMMIT"), Params(), "commit");
  if (!r.ok()) return r.error();
  return Ok();
}

std::string IntArrayLiteral(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  out += '}';
  return out;
}

std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

void AddLimit(Params& p, size_t limit) {
  if (limit == 0) {
    p.AddNull();
  } else {
    p.Add(static_cast<int64_t>(limit));
  }
}

}  // namespace telsync::pg_detail
