// The page's only way to the server: /api/v1 with the admin's Bearer token. The token is kept
// in sessionStorage (this tab only, gone when it closes), sent in the Authorization header and
// never in a URL; signOut() forgets it. A 401 forgets it too and sends the admin back to
// sign-in, with the reason.

const KEY = "telsync.token";

export function token() {
  return sessionStorage.getItem(KEY) || "";
}

export function signIn(secret) {
  sessionStorage.setItem(KEY, secret);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, code, field, message) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || "";
  }
}

// Listeners called with the reason when the server refuses the token (401).
const expiredListeners = [];
export function onExpired(listener) {
  expiredListeners.push(listener);
}

// Calls the API. Returns the parsed JSON (or, with {download: true}, {blob, filename}).
// Throws ApiError with the server's words, or with words of our own for a network failure.
export async function api(method, path, { body, query, headers, download } = {}) {
  let url = "/api/v1" + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
    }
    const text = params.toString();
    if (text) url += "?" + text;
  }
  const init = { method, headers: { Accept: "application/json", ...(headers || {}) } };
  if (token()) init.headers.Authorization = "Bearer " + token();
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, "network", "", "The server cannot be reached: check that telsync serve is running and try again.");
  }
  if (response.status === 401) {
    signOut();
    const message = "Your token was not accepted (expired, revoked or mistyped). Sign in again.";
    for (const listener of expiredListeners) listener(message);
    throw new ApiError(401, "unauthorized", "Authorization", message);
  }
  if (!response.ok) {
    let doc = null;
    try {
      doc = await response.json();
    } catch (e) {
      doc = null;
    }
    const err = doc && doc.error ? doc.error : {};
    const message = err.message || `The server answered ${response.status} ${response.statusText}.`;
    throw new ApiError(response.status, err.code || "", err.field || "", message);
  }
  if (download) {
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = disposition.match(/filename="([^"]+)"/);
    return { blob: await response.blob(), filename: match ? match[1] : "download" };
  }
  if (response.status === 204) return {};
  return response.json();
}

// Encodes one path segment (a tenant, profile or user name).
export function seg(name) {
  return encodeURIComponent(name);
}
