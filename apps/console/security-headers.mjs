// The headers every console response carries: set by next.config.ts for what Next serves and by server.mjs for what
// the fast path serves (one list, so the two cannot drift apart).
export const SECURITY_HEADERS = [
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
];
