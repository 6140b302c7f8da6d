#!/usr/bin/env python3
"""A Microsoft Graph + Entra ID token endpoint emulator for telsync's tests and benches.

Serves, on 127.0.0.1 (HTTP/1.1, keep-alive):
  POST /{tenant}/oauth2/v2.0/token            client credentials (AADSTS errors as Entra sends)
  GET  /v1.0/users                              $select $expand=memberOf $top (1..999) $skiptoken
                                                $filter (ODataFilter: eq, startsWith; ne, not,
                                                endsWith only with ConsistencyLevel: eventual
                                                and $count=true, then without $expand)
  GET  /v1.0/users/{id}                         $select $expand=memberOf
  GET  /v1.0/users/$count                       text/plain; needs ConsistencyLevel: eventual
  GET  /v1.0/users/delta                        initial round, $deltatoken=latest, @removed
  GET  /v1.0/groups                             $filter=displayName eq '...' $select
  GET  /v1.0/groups/{id}                        $select
  GET  /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user   nested groups resolved
  GET  /v1.0/users/{id}/memberOf, /v1.0/groups/{id}/memberOf       direct memberships only
                                                (groups, as #microsoft.graph.group objects)
  GET  /v1.0/groups/delta                       $select=displayName,members: members@delta
Shapes follow Microsoft's documentation: Graph errors {"error":{"code","message","innerError":
{"date","request-id","client-request-id"}}}, token errors {"error","error_description",
"error_codes","timestamp","trace_id","correlation_id","error_uri"}, 429 with Retry-After.

Control (never part of Graph):
  GET  /_emulator/log            the request log: [{"t","method","path","status"}] (no bodies,
                                 no headers: the token request body holds the client secret)
  DELETE /_emulator/log          clears it
  GET/POST /_emulator/config     faults and credentials (see DEFAULTS)
  POST /_emulator/users          add or replace a user (Graph JSON; memberOf as group objects)
  DELETE /_emulator/users/{id}   remove a user
  POST /_emulator/groups         {"id","displayName","members":[user or group ids]}

Usage: graph_emulator.py --users directory.json [--port 0] [--base-url URL]
Prints "PORT <n>" on stdout once it listens. The directory is Graph's /users answer as
bench/gen writes it (one user per line is read fast; any other layout is parsed whole).
"""
import argparse
import base64
import json
import socket
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

DEFAULTS = {
    "tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "client_id": "11111111-2222-3333-4444-555555555555",
    "secret": "emulator-secret",
    "secret_expired": False,     # AADSTS7000222
    "token_ttl": 3599,           # expires_in; a token older than this gets 401 from Graph
    "deny": [],                  # permissions the app lacks: "User.Read.All" (/users 403, group
                                 # members with limited information), "GroupMember.Read.All"
    "throttle_every": 0,         # every Nth Graph call answers 429
    "retry_after": 1,            # Retry-After of those 429s (null: no header)
    "unavailable_every": 0,      # every Nth Graph call answers unavailable_status
    "unavailable_status": 503,
    "fail_all": 0,               # when set (a status), every Graph call answers it
    "cut_every": 0,              # every Nth Graph call sends half its body and closes
    "expire_delta": False,       # delta links answer 410 Gone / syncStateNotFound
    "revoke_after_calls": 0,     # at the Nth Graph call every issued token stops working (401)
}
MAX_TOP = 999
DEFAULT_TOP = 100


def now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


class Directory:
    """Users as raw JSON lines (parsed on demand), groups built lazily, a change log."""

    def __init__(self, path):
        self.lock = threading.RLock()
        self.lines = []          # raw JSON text of each user; None once removed
        self.index = {}          # id -> position
        self._load(path)
        self.groups = None       # id -> {"displayName", "members": set(ids)}
        self.group_ids = set()
        self.seq = 0
        self.user_changes = []   # (seq, user id)
        self.group_changes = []  # (seq, group id, member id, added)
        self.page_cache = {}

    def _load(self, path):
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
        lines = text.split("\n")
        fast = len(lines) > 2 and lines[0].startswith("{\"@odata.context\"")
        if fast:
            for line in lines[1:]:
                line = line.rstrip(",")
                if not line.startswith("{\"id\":"):
                    continue
                uid = line[7:line.index("\"", 7)]
                self.index[uid] = len(self.lines)
                self.lines.append(line)
        else:
            doc = json.loads(text)
            users = doc["value"] if isinstance(doc, dict) else doc
            for u in users:
                self.index[u["id"]] = len(self.lines)
                self.lines.append(json.dumps(u, ensure_ascii=False))

    def user(self, uid):
        pos = self.index.get(uid)
        if pos is None or self.lines[pos] is None:
            return None
        return json.loads(self.lines[pos])

    def ensure_groups(self):
        with self.lock:
            if self.groups is not None:
                return
            groups = {}
            for line in self.lines:
                if line is None:
                    continue
                u = json.loads(line)
                for g in u.get("memberOf") or []:
                    entry = groups.setdefault(g["id"], {"displayName": g.get("displayName"),
                                                         "members": set()})
                    entry["members"].add(u["id"])
            self.groups = groups
            self.group_ids = set(groups)

    # -- changes (control endpoints) --
    def _tick(self):
        self.seq += 1
        self.page_cache.clear()
        return self.seq

    def put_user(self, u):
        with self.lock:
            self.ensure_groups()
            uid = u["id"]
            old = self.user(uid)
            seq = self._tick()
            line = json.dumps(u, ensure_ascii=False)
            if uid in self.index:
                self.lines[self.index[uid]] = line
            else:
                self.index[uid] = len(self.lines)
                self.lines.append(line)
            self.user_changes.append((seq, uid))
            before = {g["id"] for g in (old or {}).get("memberOf") or []}
            after = {}
            for g in u.get("memberOf") or []:
                after[g["id"]] = g.get("displayName")
            for gid in before - set(after):
                self.groups[gid]["members"].discard(uid)
                self.group_changes.append((seq, gid, uid, False))
            for gid, name in after.items():
                if gid not in before:
                    entry = self.groups.setdefault(gid, {"displayName": name, "members": set()})
                    self.group_ids.add(gid)
                    entry["members"].add(uid)
                    self.group_changes.append((seq, gid, uid, True))

    def delete_user(self, uid):
        with self.lock:
            self.ensure_groups()
            old = self.user(uid)
            if old is None:
                return False
            seq = self._tick()
            self.lines[self.index[uid]] = None
            self.user_changes.append((seq, uid))
            for g in old.get("memberOf") or []:
                if g["id"] in self.groups:
                    self.groups[g["id"]]["members"].discard(uid)
                    self.group_changes.append((seq, g["id"], uid, False))
            return True

    def put_group(self, g):
        with self.lock:
            self.ensure_groups()
            self._tick()
            self.groups[g["id"]] = {"displayName": g["displayName"], "members": set(g.get("members", []))}
            self.group_ids.add(g["id"])

    def transitive_users(self, gid):
        seen, users, stack = set(), [], [gid]
        while stack:
            g = stack.pop()
            if g in seen or g not in self.groups:
                continue
            seen.add(g)
            for m in sorted(self.groups[g]["members"]):
                if m in self.group_ids:
                    stack.append(m)
                elif m not in users and self.user(m) is not None:
                    users.append(m)
        return sorted(set(users), key=lambda m: self.index.get(m, 0))


class FilterError(Exception):
    pass


class ODataFilter:
    """The subset of OData $filter on /users that the tests use, with the rules Microsoft
    documents for directory objects ("Use the $filter query parameter", "Advanced query
    capabilities on directory objects"): eq on a property (strings, booleans, null), in with
    a list of values, the functions startsWith and endsWith, and / or / not with
    parentheses, keywords in any case. ne, not and endsWith are advanced queries only
    (`advanced` is set when they occur): without the ConsistencyLevel: eventual header and
    $count=true Graph answers 400 Request_UnsupportedQuery. `in` takes at most 15 values in
    a default query ("Use the $filter query parameter": by default a request is limited to
    15 expressions with in; `in_values` counts the largest list). String comparison ignores
    case."""

    def __init__(self, text):
        self.tokens = self._lex(text)
        self.pos = 0
        self.advanced = False
        self.in_values = 0
        self.tree = self._or()
        if self.pos != len(self.tokens):
            raise FilterError(f"Syntax error at position {self.pos} in '{text}'.")

    @staticmethod
    def _lex(text):
        out, i = [], 0
        while i < len(text):
            c = text[i]
            if c.isspace():
                i += 1
            elif c in "(),":
                out.append(("p", c))
                i += 1
            elif c == "'":
                j, value = i + 1, ""
                while True:
                    if j >= len(text):
                        raise FilterError("Unterminated string literal.")
                    if text[j] == "'":
                        if j + 1 < len(text) and text[j + 1] == "'":
                            value += "'"
                            j += 2
                            continue
                        break
                    value += text[j]
                    j += 1
                out.append(("s", value))
                i = j + 1
            else:
                j = i
                while j < len(text) and not text[j].isspace() and text[j] not in "(),'":
                    j += 1
                out.append(("w", text[i:j]))
                i = j
        return out

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def _word(self, *words):
        kind, value = self._peek()
        if kind == "w" and value.lower() in words:
            self.pos += 1
            return value.lower()
        return None

    def _expect(self, token):
        if self._peek() != ("p", token):
            raise FilterError(f"Syntax error: '{token}' expected at position {self.pos}.")
        self.pos += 1

    def _or(self):
        node = self._and()
        while self._word("or"):
            node = ("or", node, self._and())
        return node

    def _and(self):
        node = self._unary()
        while self._word("and"):
            node = ("and", node, self._unary())
        return node

    def _unary(self):
        if self._word("not"):
            self.advanced = True
            return ("not", self._unary())
        if self._peek() == ("p", "("):
            self.pos += 1
            node = self._or()
            self._expect(")")
            return node
        func = self._word("startswith", "endswith")
        if func:
            if func == "endswith":
                self.advanced = True
            self._expect("(")
            prop = self._property()
            self._expect(",")
            value = self._literal()
            self._expect(")")
            return (func, prop, value)
        prop = self._property()
        if self._word("in"):
            self._expect("(")
            values = [self._literal()]
            while self._peek() == ("p", ","):
                self.pos += 1
                values.append(self._literal())
            self._expect(")")
            self.in_values = max(self.in_values, len(values))
            return ("in", prop, values)
        op = self._word("eq", "ne")
        if op is None:
            raise FilterError(f"Unsupported or invalid query filter clause near '{prop}'.")
        if op == "ne":
            self.advanced = True
        return (op, prop, self._literal())

    def _property(self):
        kind, value = self._peek()
        if kind != "w":
            raise FilterError(f"Syntax error: a property expected at position {self.pos}.")
        self.pos += 1
        return value

    def _literal(self):
        kind, value = self._peek()
        self.pos += 1
        if kind == "s":
            return value
        if kind == "w" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if kind == "w" and value.lower() == "null":
            return None
        raise FilterError(f"Syntax error: a literal expected at position {self.pos - 1}.")

    @staticmethod
    def _fold(v):
        return v.lower() if isinstance(v, str) else v

    def matches(self, user, node=None):
        node = self.tree if node is None else node
        op = node[0]
        if op == "or":
            return self.matches(user, node[1]) or self.matches(user, node[2])
        if op == "and":
            return self.matches(user, node[1]) and self.matches(user, node[2])
        if op == "not":
            return not self.matches(user, node[1])
        value = self._fold(user.get(node[1]))
        if op == "in":
            return value in [self._fold(v) for v in node[2]]
        want = self._fold(node[2])
        if op == "eq":
            return value == want
        if op == "ne":
            return value != want
        if not isinstance(value, str) or not isinstance(want, str):
            return False
        return value.startswith(want) if op == "startswith" else value.endswith(want)


def shape(user, select, expand):
    if select:
        out = {"id": user["id"]}
        for key in select:
            if key == "memberOf":
                continue
            out[key] = user.get(key)
    else:
        out = {k: v for k, v in user.items() if k != "memberOf"}
    if expand:
        out["memberOf"] = user.get("memberOf") or []
    return out


class Emulator:
    def __init__(self, directory, base_url=""):
        self.dir = directory
        self.base_url = base_url
        self.config = dict(DEFAULTS)
        self.log = []
        self.log_lock = threading.Lock()
        self.calls = 0
        self.tokens = {}           # token -> issued at
        self.delta_tokens = {}     # token -> (kind, seq, query)


def graph_error(code, message):
    rid = str(uuid.uuid4())
    return {"error": {"code": code, "message": message,
                      "innerError": {"date": now_iso(), "request-id": rid, "client-request-id": rid}}}


def token_error(status, error, code, description):
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    ts = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    return status, {
        "error": error,
        "error_description": f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\n"
                             f"Correlation ID: {corr}\r\nTimestamp: {ts}",
        "error_codes": [code], "timestamp": ts, "trace_id": trace, "correlation_id": corr,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    emu: Emulator = None

    def log_message(self, *args):  # quiet: the request log is /_emulator/log
        pass

    def setup(self):
        super().setup()
        # Headers and body go out as two writes: without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to each answer on a fresh connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing --
    def _send(self, status, body, headers=None, cut=False):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        if "Content-Type" not in (headers or {}):
            self.send_header("Content-Type", "application/json; odata.metadata=minimal")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if cut:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data)

    def _record(self, status):
        with self.emu.log_lock:
            self.emu.log.append({"t": time.time(), "method": self.command, "path": self.path,
                                 "status": status})

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            if path.startswith("/_emulator/"):
                status, body = self._control(path, query)
                self._send(status, body)
                return
            if path.endswith("/oauth2/v2.0/token") and self.command == "POST":
                status, body = self._token(path)
                self._record(status)
                self._send(status, body)
                return
            self._graph(path, query)
        except BrokenPipeError:
            pass

    # -- control --
    def _control(self, path, query):
        emu, d = self.emu, self.emu.dir
        if path == "/_emulator/log":
            with emu.log_lock:
                if self.command == "DELETE":
                    emu.log.clear()
                    return 200, {"ok": True}
                return 200, list(emu.log)
        if path == "/_emulator/config":
            if self.command == "POST":
                emu.config.update(json.loads(self._body() or b"{}"))
                emu.calls = 0
            return 200, emu.config
        if path == "/_emulator/users" and self.command == "POST":
            d.put_user(json.loads(self._body()))
            return 200, {"ok": True, "seq": d.seq}
        if path.startswith("/_emulator/users/") and self.command == "DELETE":
            return (200 if d.delete_user(path.rsplit("/", 1)[1]) else 404), {"seq": d.seq}
        if path == "/_emulator/groups" and self.command == "POST":
            d.put_group(json.loads(self._body()))
            return 200, {"ok": True}
        return 404, {"error": "no such control endpoint"}

    # -- token endpoint --
    def _token(self, path):
        cfg = self.emu.config
        form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
        tenant = path.split("/")[1]
        if tenant != cfg["tenant"]:
            return token_error(400, "invalid_request", 90002,
                               f"Tenant '{tenant}' not found. Check to make sure you have the correct "
                               "tenant ID and are signing into the correct cloud.")
        if form.get("grant_type") != "client_credentials" or not form.get("scope", "").endswith("/.default"):
            return token_error(400, "invalid_scope", 1002012,
                               "The provided value for scope is not valid. Client credential flows "
                               "must have a scope value with /.default suffixed to the resource identifier.")
        if form.get("client_id") != cfg["client_id"]:
            return token_error(400, "unauthorized_client", 700016,
                               f"Application with identifier '{form.get('client_id')}' was not found in "
                               f"the directory '{tenant}'.")
        if form.get("client_secret") != cfg["secret"]:
            return token_error(401, "invalid_client", 7000215,
                               "Invalid client secret provided. Ensure the secret being sent in the "
                               "request is the client secret value, not the client secret ID, for a "
                               f"secret added to app '{cfg['client_id']}'.")
        if cfg["secret_expired"]:
            return token_error(401, "invalid_client", 7000222,
                               f"The provided client secret keys for app '{cfg['client_id']}' are "
                               "expired. Visit the Azure portal to create new keys for your app.")
        token = "eyJ0eXAi." + b64(str(uuid.uuid4())) + "." + b64(str(time.time()))
        self.emu.tokens[token] = time.time()
        ttl = cfg["token_ttl"]
        return 200, {"token_type": "Bearer", "expires_in": ttl, "ext_expires_in": ttl,
                     "access_token": token}

    # -- Graph --
    def _graph(self, path, query):
        emu, cfg = self.emu, self.emu.config
        emu.calls += 1
        n = emu.calls
        if cfg["revoke_after_calls"] and n == cfg["revoke_after_calls"]:
            emu.tokens.clear()
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        issued = emu.tokens.get(token)
        if issued is None or time.time() - issued > cfg["token_ttl"]:
            body = graph_error("InvalidAuthenticationToken",
                               "Access token has expired or is not yet valid." if issued
                               else "Access token validation failure. Invalid audience.")
            self._record(401)
            return self._send(401, body)
        fault = None
        if cfg["fail_all"]:
            fault = (int(cfg["fail_all"]), {})
        elif cfg["throttle_every"] and n % cfg["throttle_every"] == 0:
            h = {} if cfg["retry_after"] is None else {"Retry-After": str(cfg["retry_after"])}
            fault = (429, h)
        elif cfg["unavailable_every"] and n % cfg["unavailable_every"] == 0:
            fault = (int(cfg["unavailable_status"]), {})
        if fault:
            status, headers = fault
            code = {429: "TooManyRequests", 503: "serviceNotAvailable", 504: "gatewayTimeout"}.get(
                status, "generalException")
            msg = {429: "Too many requests.", 503: "Service Unavailable"}.get(status, "Gateway Timeout")
            self._record(status)
            return self._send(status, graph_error(code, msg), headers)
        status, body, headers = self._route(path, query)
        cut = bool(cfg["cut_every"]) and status == 200 and n % cfg["cut_every"] == 0
        self._record(-1 if cut else status)
        self._send(status, body, headers, cut=cut)

    def _denied(self, permission):
        return permission in self.emu.config["deny"]

    def _route(self, path, query):
        seg = path.strip("/").split("/")
        if not seg or seg[0] != "v1.0":
            return 404, graph_error("Request_ResourceNotFound", f"Resource not found for the segment '{seg[0]}'."), {}
        seg = seg[1:]
        if seg and seg[0] == "users":
            if self._denied("User.Read.All"):
                return 403, graph_error("Authorization_RequestDenied",
                                        "Insufficient privileges to complete the operation."), {}
            if len(seg) == 1:
                return self._list_users(query)
            if seg[1] == "delta":
                return self._users_delta(query)
            if seg[1] == "$count":
                return self._count_users()
            if seg[2:] == ["memberOf"]:
                if self.emu.dir.user(seg[1]) is None:
                    return 404, graph_error("Request_ResourceNotFound",
                                            f"Resource '{seg[1]}' does not exist or one of its "
                                            "queried reference-property objects are not present."), {}
                return self._member_of(seg[1], query)
            return self._one_user(seg[1], query)
        if seg and seg[0] == "groups":
            if self._denied("GroupMember.Read.All"):
                return 403, graph_error("Authorization_RequestDenied",
                                        "Insufficient privileges to complete the operation."), {}
            self.emu.dir.ensure_groups()
            if len(seg) == 1:
                return self._list_groups(query)
            if seg[1] == "delta":
                return self._groups_delta(query)
            gid = seg[1]
            if gid not in self.emu.dir.groups:
                return 404, graph_error("Request_ResourceNotFound",
                                        f"Resource '{gid}' does not exist or one of its queried "
                                        "reference-property objects are not present."), {}
            if len(seg) == 2:
                g = self.emu.dir.groups[gid]
                return 200, {"@odata.context": f"{self.emu.base_url}/v1.0/$metadata#groups/$entity",
                             "id": gid, "displayName": g["displayName"]}, {}
            if seg[2:] == ["transitiveMembers", "microsoft.graph.user"]:
                return self._members(gid, query)
            if seg[2:] == ["memberOf"]:
                return self._member_of(gid, query)
        return 400, graph_error("Request_BadRequest", f"Unsupported request: {path}"), {}

    def _select(self, query):
        s = query.get("$select", "")
        return tuple(x for x in s.split(",") if x)

    def _top(self, query, default=DEFAULT_TOP):
        t = query.get("$top")
        if t is None:
            return default, None
        if not t.isdigit() or not 1 <= int(t) <= MAX_TOP:
            return None, (400, graph_error("Request_BadRequest",
                                           f"Invalid page size specified: '{t}'. Must be between 1 and "
                                           f"{MAX_TOP} inclusive."), {})
        return int(t), None

    def _page(self, ids_or_range, key, query, select, expand, top, base_path, extra_link=None,
              limited=False, extra_query=()):
        """One page over positions [start, start+top) of a list; nextLink with $skiptoken.

        `limited`: the app may read the relationship but not the users (Graph's "limited
        information returned for inaccessible member objects"): each member is its
        @odata.type and id, every other property null."""
        d = self.emu.dir
        start = int(unb64(query["$skiptoken"])[2:]) if "$skiptoken" in query else 0
        cache_key = (key, select, expand, top, start, limited)
        cached = d.page_cache.get(cache_key)
        if cached is not None:
            return 200, cached, {}
        total = len(ids_or_range)
        users = []
        for pos in range(start, min(start + top, total)):
            item = ids_or_range[pos]
            u = json.loads(item) if item and item.startswith("{") else d.user(item) if item else None
            if u is not None:
                full = shape(u, select, expand)
                if limited:
                    full = dict({k: None for k in full if k != "id"},
                                **{"@odata.type": "#microsoft.graph.user", "id": u["id"]})
                users.append(full)
        page = {"@odata.context": f"{self.emu.base_url}/v1.0/$metadata#users"}
        if start + top < total:
            q = [f"$select={','.join(select)}"] if select else []
            if expand:
                q.append("$expand=memberOf")
            q.append(f"$top={top}")
            q.extend(extra_query)
            q.append("$skiptoken=" + b64(f"p={start + top}"))
            page["@odata.nextLink"] = f"{self.emu.base_url}{base_path}?" + "&".join(q)
        page["value"] = users
        if extra_link and start + top >= total:
            page.update(extra_link)
        data = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
        if len(d.page_cache) < 4096:
            d.page_cache[cache_key] = data
        return 200, data, {}

    def _list_users(self, query):
        top, err = self._top(query)
        if err:
            return err
        expand = query.get("$expand", "") == "memberOf"
        if "$filter" not in query:
            return self._page(self.emu.dir.lines, "users", query, self._select(query), expand,
                              top, "/v1.0/users")
        try:
            f = ODataFilter(query["$filter"])
        except FilterError as e:
            return 400, graph_error("BadRequest", str(e)), {}
        advanced = (self.headers.get("ConsistencyLevel", "").lower() == "eventual"
                    and query.get("$count", "").lower() == "true")
        if f.advanced and not advanced:
            return 400, graph_error("Request_UnsupportedQuery",
                                    "Unsupported or invalid query filter clause specified for "
                                    "property or operator. Use ConsistencyLevel: eventual and "
                                    "$count=true for advanced queries."), {}
        if f.in_values > 15 and not advanced:
            return 400, graph_error("Request_UnsupportedQuery",
                                    "Too many child clauses specified in search filter "
                                    f"expression: {f.in_values}. Max allowed: 15."), {}
        if advanced and "$expand" in query:
            # "$expand is not currently supported with advanced queries."
            return 400, graph_error("Request_UnsupportedQuery",
                                    "$expand is not supported with advanced queries."), {}
        d = self.emu.dir
        matched = []
        for item in d.lines:
            u = json.loads(item) if item and item.startswith("{") else d.user(item) if item else None
            if u is not None and f.matches(u):
                matched.append(u["id"])
        status, page, headers = self._page(matched, ("users", query["$filter"]), query,
                                           self._select(query), expand, top, "/v1.0/users",
                                           extra_query=["$filter=" + quote(query["$filter"])])
        if advanced and status == 200:
            doc = json.loads(page)
            doc["@odata.count"] = len(matched)
            return status, doc, headers
        return status, page, headers

    def _count_users(self):
        """/users/$count: an advanced query. Graph answers it only with the header
        ConsistencyLevel: eventual (else 400), as a text/plain number."""
        if self.headers.get("ConsistencyLevel", "").lower() != "eventual":
            return 400, graph_error("Request_BadRequest",
                                    "$count is not currently supported."), {}
        n = sum(1 for line in self.emu.dir.lines if line is not None)
        return 200, str(n).encode(), {"Content-Type": "text/plain"}

    def _one_user(self, uid, query):
        u = self.emu.dir.user(uid)
        if u is None:
            return 404, graph_error("Request_ResourceNotFound",
                                    f"Resource '{uid}' does not exist or one of its queried "
                                    "reference-property objects are not present."), {}
        out = shape(u, self._select(query), query.get("$expand", "") == "memberOf")
        out["@odata.context"] = f"{self.emu.base_url}/v1.0/$metadata#users/$entity"
        return 200, out, {}

    def _members(self, gid, query):
        top, err = self._top(query)
        if err:
            return err
        ids = self.emu.dir.transitive_users(gid)
        return self._page(ids, "members:" + gid, query, self._select(query), False, top,
                          f"/v1.0/groups/{gid}/transitiveMembers/microsoft.graph.user",
                          limited=self._denied("User.Read.All"))

    def _member_of(self, oid, query):
        """The groups holding user or group `oid` directly (Graph's memberOf: direct
        memberships only; it may also list directory roles and administrative units, which
        the emulator has none of). Each is a directoryObject with its @odata.type."""
        d = self.emu.dir
        d.ensure_groups()
        select = self._select(query)
        out = []
        for gid, g in sorted(d.groups.items()):
            if oid in g["members"]:
                obj = {"@odata.type": "#microsoft.graph.group", "id": gid,
                       "displayName": g["displayName"]}
                if select:
                    obj = {k: v for k, v in obj.items() if k in select or k in ("@odata.type", "id")}
                out.append(obj)
        return 200, {"@odata.context": f"{self.emu.base_url}/v1.0/$metadata#directoryObjects",
                     "value": out}, {}

    def _list_groups(self, query):
        d = self.emu.dir
        f = query.get("$filter", "")
        out = []
        for gid, g in d.groups.items():
            if f.startswith("displayName eq '"):
                want = f[len("displayName eq '"):-1].replace("''", "'")
                if g["displayName"] != want:
                    continue
            out.append({"id": gid, "displayName": g["displayName"]})
        return 200, {"@odata.context": f"{self.emu.base_url}/v1.0/$metadata#groups(id,displayName)",
                     "value": out}, {}

    def _delta_link(self, kind, query):
        d = self.emu.dir
        tok = b64(json.dumps({"k": kind, "s": d.seq, "r": str(uuid.uuid4())[:8]}))
        q = f"$select={query['$select']}&" if query.get("$select") else ""
        return f"{self.emu.base_url}/v1.0/{kind}/delta?{q}$deltatoken={tok}"

    def _delta_state(self, kind, query):
        tok = query.get("$deltatoken")
        if tok is None or tok == "latest":
            return tok, None
        if self.emu.config["expire_delta"]:
            return None, (410, graph_error("syncStateNotFound",
                                           "The sync state generation is not found. Delta tokens "
                                           "expire after 7 days; restart the sync."), {})
        try:
            state = json.loads(unb64(tok))
            assert state["k"] == kind
            return state["s"], None
        except Exception:  # noqa: BLE001 - any unreadable token is a bad request
            return None, (400, graph_error("badRequest", "The delta token is not valid."), {})

    def _users_delta(self, query):
        d = self.emu.dir
        since, err = self._delta_state("users", query)
        if err:
            return err
        select = self._select(query)
        ctx = {"@odata.context": f"{self.emu.base_url}/v1.0/$metadata#users(...)"}
        if since == "latest":
            return 200, dict(ctx, value=[], **{"@odata.deltaLink": self._delta_link("users", query)}), {}
        if since is None:  # the initial round: every user, then a delta link
            link = {"@odata.deltaLink": self._delta_link("users", query)}
            return self._page(d.lines, "delta-initial", query, select, False, 200, "/v1.0/users/delta",
                              extra_link=link)
        with d.lock:
            ids = []
            for seq, uid in d.user_changes:
                if seq > since and uid not in ids:
                    ids.append(uid)
            value = []
            for uid in ids:
                u = d.user(uid)
                value.append({"id": uid, "@removed": {"reason": "deleted"}} if u is None
                             else shape(u, select, False))
            return 200, dict(ctx, value=value, **{"@odata.deltaLink": self._delta_link("users", query)}), {}

    def _groups_delta(self, query):
        d = self.emu.dir
        since, err = self._delta_state("groups", query)
        if err:
            return err
        ctx = {"@odata.context": f"{self.emu.base_url}/v1.0/$metadata#groups(displayName,members)"}
        if since == "latest":
            return 200, dict(ctx, value=[], **{"@odata.deltaLink": self._delta_link("groups", query)}), {}
        with d.lock:
            changes = {}
            for seq, gid, uid, added in d.group_changes:
                if since is None or seq > since:
                    changes.setdefault(gid, {})[uid] = added
            value = []
            for gid, members in changes.items():
                md = []
                for uid, added in members.items():
                    m = {"@odata.type": "#microsoft.graph.user", "id": uid}
                    if not added:
                        m["@removed"] = {"reason": "deleted"}
                    md.append(m)
                value.append({"id": gid, "displayName": d.groups.get(gid, {}).get("displayName"),
                              "members@delta": md})
            return 200, dict(ctx, value=value, **{"@odata.deltaLink": self._delta_link("groups", query)}), {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--config", default="{}", help="JSON overriding DEFAULTS")
    args = ap.parse_args()
    directory = Directory(args.users)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    emu = Emulator(directory, f"http://127.0.0.1:{port}")
    emu.config.update(json.loads(args.config))
    Handler.emu = emu
    print(f"PORT {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
