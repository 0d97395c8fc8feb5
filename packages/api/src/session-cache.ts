// The signed-in check of every console request, remembered for a few seconds per session cookie: a request then costs
// no session and user queries (better-auth's lookup + ours, two or three Postgres round trips). What could make a
// remembered answer wrong ends it at once — sign-out, sign-out everywhere, a user disabled, re-roled or given a new
// password: those publish a `session` live event (this process's hub counts its own at once, other consoles' via
// Redis) and an answer is used only at the event count it was computed at. It never outlives the session's idle or
// absolute end, and nothing is remembered while the hub is not subscribed (no event would arrive). A session deleted
// straight in the database by hand is still honoured for at most SESSION_CACHE_MS.
import { sessionFromHeaders, type Auth, type SignedIn } from './auth.ts';
import type { LiveHub } from './live-hub.ts';

export const SESSION_CACHE_MS = 5000;
const MAX_ENTRIES = 10_000;

interface Entry { stamp: string; until: number; value: SignedIn }
const caches = new WeakMap<LiveHub, Map<string, Entry>>();

/** The value of better-auth's session cookie (`better-auth.session_token`, `__Secure-` on https): signed, unguessable. */
export function sessionCookie(headers: Headers): string | null {
  const raw = headers.get('cookie');
  if (!raw) return null;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim().endsWith('session_token')) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** sessionFromHeaders, remembered per session cookie while no `session` event has come (see the top of this file). */
export async function signedInFromHeaders(auth: Auth, hub: LiveHub, headers: Headers, now = Date.now()): Promise<SignedIn | null> {
  const token = sessionCookie(headers);
  const stamp = token ? hub.stamp(['session']) : null;
  if (!token || stamp === null) return sessionFromHeaders(auth, headers);
  let cache = caches.get(hub);
  if (!cache) caches.set(hub, (cache = new Map()));
  const hit = cache.get(token);
  if (hit && hit.stamp === stamp && now < hit.until) return hit.value;
  const value = await sessionFromHeaders(auth, headers);
  if (!value) {
    cache.delete(token);
    return null;
  }
  // The stamp from before the lookup: an event during it makes the next request look again.
  cache.set(token, { stamp, until: Math.min(now + SESSION_CACHE_MS, value.endsAt), value });
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return value;
}
