// The one error type the Polygon (Massive) adapter throws, with a kind a caller can act on, and the
// helpers that keep the API key out of every message, log line and URL we show.

export type PolygonErrorKind =
  | 'auth' // 401/403 or WebSocket auth_failed: the key is wrong or lacks the entitlement; retrying cannot help
  | 'not_found' // 404
  | 'bad_request' // another 4xx: our request is wrong; retrying cannot help
  | 'rate_limited' // 429 still answered after every retry (or Retry-After far too long)
  | 'server' // 5xx or network failure still happening after every retry
  | 'bad_response' // 2xx whose body is not the documented shape (HTML page, garbage, fractional volume…)
  | 'quota_exhausted'; // our own daily budget (POLYGON_DAILY_LIMIT) is spent; nothing was sent

export class PolygonError extends Error {
  constructor(
    readonly kind: PolygonErrorKind,
    message: string,
    readonly status?: number,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'PolygonError';
  }
}

/** Replaces every occurrence of the key in a text (servers and proxies do echo request URLs back). */
export function scrub(text: string, apiKey: string): string {
  if (!apiKey) return text;
  return text.split(apiKey).join('***');
}

/** Path and query of a request URL, with the apiKey parameter removed: what we put in logs and errors. */
export function shownPath(url: URL, apiKey: string): string {
  const u = new URL(url.toString());
  u.searchParams.delete('apiKey');
  return scrub(u.pathname + u.search, apiKey);
}

/** The first 120 characters of a body, on one line, for an error message. */
export function snippet(body: string): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > 120 ? `${one.slice(0, 120)}…` : one;
}
