"use strict";
// api.js: the one place that talks HTTP to the till. Every request sends the
// cashier's language so that error messages come back readable; every failure
// becomes an ApiError whose message can be shown as it is.

class ApiError extends Error {
  constructor(status, code, message, detail) {
    super(message);
    this.status = status; // 0 when the till could not be reached
    this.code = code; // the API's error code, "network" or "cancelled"
    this.detail = detail || {};
  }

  // retryAfter is the lockout's remaining seconds on a 429, or 0.
  get retryAfter() {
    return Number(this.detail.retry_after_seconds) || 0;
  }
}

const Api = (() => {
  const base = "/api/v1";

  // onSessionLost is called when a request answers 401 outside login; the app
  // shows the PIN pad again.
  let onSessionLost = () => {};

  // request sends one request. opts.session=false stops a 401 from ending the
  // session (login itself, and a retried approval whose PIN was wrong).
  async function request(method, path, body, opts = {}) {
    const init = {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "Accept-Language": I18n.lang() },
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(base + path, init);
    } catch {
      throw new ApiError(0, "network", I18n.t("err.network"));
    }
    const text = await res.text().catch(() => "");
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (res.ok) return data;
    const e = (data && data.error) || {};
    // retry_after_seconds may sit in the error object or beside it.
    const detail = Object.assign({}, data || {}, e);
    const err = new ApiError(res.status, e.code || codeFor(res.status), e.message || I18n.t("err.http", res.status), detail);
    if (err.status === 401 && opts.session !== false) onSessionLost(err);
    throw err;
  }

  function codeFor(status) {
    return { 400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict", 429: "locked" }[status] || "internal";
  }

  // approved sends a request that a supervisor may have to approve. When the
  // till answers 403 needs_approval, it asks for a supervisor's PIN and repeats
  // the same request with approval_pin added, until it succeeds, fails for
  // another reason, or the cashier cancels (ApiError code "cancelled").
  async function approved(method, path, body = {}) {
    try {
      return await request(method, path, body);
    } catch (err) {
      if (err.code !== "needs_approval") throw err;
      return approveLoop(method, path, body, err.message);
    }
  }

  async function approveLoop(method, path, body, message) {
    const pad = UI.approvalPad(message);
    try {
      for (;;) {
        const pin = await pad.next();
        if (pin === null) throw new ApiError(0, "cancelled", "");
        try {
          return await request(method, path, Object.assign({}, body, { approval_pin: pin }), { session: false });
        } catch (err) {
          // A wrong supervisor PIN is answered 403 needs_approval again, its
          // message saying so ("PIN supervisor salah."); older tills used 401.
          // Keep the pad open with that message and ask again.
          if (err.code === "unauthorized" || err.code === "needs_approval" || err.code === "forbidden") {
            pad.error(err.message);
            continue;
          }
          throw err;
        }
      }
    } finally {
      pad.close();
    }
  }

  return {
    request,
    approved,
    get: (path) => request("GET", path),
    post: (path, body = {}) => request("POST", path, body),
    patch: (path, body = {}) => request("PATCH", path, body),
    del: (path) => request("DELETE", path),
    setSessionLost(fn) { onSessionLost = fn; },
  };
})();
