// Malformed inputs generated from a zod 4 schema (walking `schema._zod.def`), for fuzzing the tRPC procedures: wrong
// kinds per field, missing fields, huge strings, non-finite numbers, deep nesting, prototype-pollution keys. Seeded,
// so a failing case is reproduced by its seed. Also the superjson wire form, written out here (the tests package
// does not depend on superjson) for the few special values the fuzz sends.

type Def = { type: string } & Record<string, unknown>;
export type ZodLike = { _zod: { def: Def }; safeParse(v: unknown): { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } } };

const def = (s: unknown): Def => (s as ZodLike)._zod.def;

/** mulberry32: small, seedable, good enough to pick cases. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);
/** The schema under optional/nullable/default/pipe wrappers (what a value is checked against first). */
export function unwrap(s: unknown): unknown {
  for (let d = def(s); ; d = def(s)) {
    if (WRAPPERS.has(d.type)) s = d.innerType;
    else if (d.type === 'pipe') s = d.in;
    else if (d.type === 'lazy') s = (d.getter as () => unknown)();
    else return s;
  }
}

/** A plausible value (the base that mutations start from; it need not pass). */
export function plausible(s: unknown, depth = 0): unknown {
  const d = def(unwrap(s));
  if (depth > 6) return null;
  switch (d.type) {
    case 'object':
      return Object.fromEntries(Object.entries(d.shape as Record<string, unknown>).map(([k, v]) => [k, plausible(v, depth + 1)]));
    case 'string': {
      const f = d.format as string | undefined;
      if (f === 'uuid' || f === 'guid') return '00000000-0000-4000-8000-000000000000';
      if (f === 'email') return 'someone@example.com';
      if (f === 'datetime') return '2025-06-04T14:00:00Z';
      if (f === 'date') return '2025-06-04';
      return 'SPY';
    }
    case 'number': case 'int': return 1;
    case 'bigint': return 1;
    case 'boolean': return true;
    case 'enum': return Object.values(d.entries as Record<string, unknown>)[0];
    case 'literal': return (d.values as unknown[])[0];
    case 'array': return [plausible(d.element, depth + 1)];
    case 'union': return plausible((d.options as unknown[])[0], depth + 1);
    case 'record': return {};
    case 'date': return new Date('2025-06-04T14:00:00Z');
    default: return null;
  }
}

const HUGE = (n: number) => 'A'.repeat(n);
/** Values of a kind the schema cannot take, with a few nasty ones of the right kind. */
export function wrongValues(s: unknown, hugeLen: number): unknown[] {
  const d = def(unwrap(s));
  switch (d.type) {
    case 'string': return [12345, true, {}, [], HUGE(hugeLen), '\u0000\uFFFF\uD800', '../../etc/passwd', "'; DROP TABLE users; --"];
    case 'number': case 'int': return ['12', NaN, Infinity, -Infinity, -1e308, 1e308, 0.1 + 0.2, -0, true, {}, null];
    case 'boolean': return ['true', 1, null, {}];
    case 'enum': case 'literal': return ['NOT_A_CHOICE', 0, null, HUGE(hugeLen)];
    case 'array': return ['x', {}, 1, Array.from({ length: 2000 }, () => null)];
    case 'object': case 'record': return ['x', 1, [], true];
    case 'date': return ['not a date', new Date(NaN), {}];
    default: return [Symbol.for('never') as unknown as string, {}].filter((v) => typeof v !== 'symbol');
  }
}

/** An object nested `depth` levels deep ({ a: { a: … } }), built without recursion. */
export function deep(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** Own keys that would pollute a prototype if merged naively (parsed from JSON, as the server sees them). */
export const POLLUTION: unknown[] = [
  JSON.parse('{"__proto__":{"polluted":true}}'),
  JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'),
];

export interface FuzzCase {
  name: string;
  input: unknown;
}

/** Cases for one input schema: whole-input garbage, then per-field mutations of a plausible base, then random ones. */
export function fuzzCases(schema: unknown, rand: () => number, o: { random: number; hugeLen: number }): FuzzCase[] {
  const cases: FuzzCase[] = [
    { name: 'a number', input: 42 }, { name: 'a string', input: 'x' }, { name: 'an array', input: [] }, { name: 'null', input: null },
    { name: 'NaN', input: NaN }, { name: 'a huge string', input: HUGE(o.hugeLen) }, { name: '1000-deep object', input: deep(1000) },
    ...POLLUTION.map((p, i) => ({ name: `pollution ${i}`, input: p })),
  ];
  const top = def(unwrap(schema));
  if (top.type !== 'object') return cases;
  const base = plausible(schema) as Record<string, unknown>;
  const shape = top.shape as Record<string, unknown>;
  const fields = Object.keys(shape);
  for (const k of fields) {
    const { [k]: _gone, ...rest } = base;
    cases.push({ name: `${k} missing`, input: rest });
    for (const w of wrongValues(shape[k], o.hugeLen)) cases.push({ name: `${k} = ${label(w)}`, input: withKey(base, k, w) });
    for (const [i, p] of POLLUTION.entries()) cases.push({ name: `${k} = pollution ${i}`, input: withKey(base, k, p) });
    // One level further into an object field: its own fields wrong.
    const inner = def(unwrap(shape[k]));
    if (inner.type === 'object') for (const [ik, iv] of Object.entries(inner.shape as Record<string, unknown>))
      for (const w of wrongValues(iv, o.hugeLen).slice(0, 3)) cases.push({ name: `${k}.${ik} = ${label(w)}`, input: withKey(base, k, withKey((base[k] ?? {}) as Record<string, unknown>, ik, w)) });
  }
  for (const [i, p] of POLLUTION.entries()) cases.push({ name: `base + pollution ${i}`, input: { ...base, ...(p as object) } });
  // Random: 1–3 fields replaced by wrong values at once, plus an unknown key sometimes.
  for (let n = 0; n < o.random && fields.length; n++) {
    let input: Record<string, unknown> = { ...base };
    const picked: string[] = [];
    for (let j = 0, m = 1 + Math.floor(rand() * 3); j < m; j++) {
      const k = fields[Math.floor(rand() * fields.length)]!;
      const ws = wrongValues(shape[k], o.hugeLen);
      const w = ws[Math.floor(rand() * ws.length)];
      input = withKey(input, k, w);
      picked.push(`${k} = ${label(w)}`);
    }
    if (rand() < 0.3) input = withKey(input, `unknown_${Math.floor(rand() * 1000)}`, HUGE(64));
    cases.push({ name: `random ${n}: ${picked.join(', ')}`, input });
  }
  return cases;
}

function withKey(o: Record<string, unknown>, k: string, v: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(o)) Object.defineProperty(copy, key, { value: o[key], enumerable: true, writable: true, configurable: true });
  Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true }); // '__proto__' stays an own key
  return copy;
}

function label(v: unknown): string {
  if (typeof v === 'string') return v.length > 40 ? `string(${v.length})` : JSON.stringify(v);
  if (typeof v === 'number') return String(v);
  if (v instanceof Date) return `Date(${v.getTime()})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  return v === null ? 'null' : typeof v === 'object' ? `{${Object.keys(v).join(',')}}` : typeof v;
}

/** The superjson wire form ({ json, meta }) of a value with NaN/±Infinity, undefined and Dates in it. */
export function superjsonWire(v: unknown): { json: unknown; meta?: { values: unknown } } {
  const values: Record<string, [string]> = {};
  let root: [string] | null = null;
  const note = (path: string[], t: string) => {
    if (path.length) values[path.map((p) => p.replace(/\./g, '\\.')).join('.')] = [t];
    else root = [t];
  };
  // Iterative over an explicit stack: the deep cases would overflow a recursive walk.
  const walk = (x: unknown, path: string[]): unknown => {
    if (typeof x === 'number' && !Number.isFinite(x)) return note(path, 'number'), String(x);
    if (x === undefined) return note(path, 'undefined'), undefined;
    if (x instanceof Date) return note(path, 'Date'), Number.isNaN(x.getTime()) ? 'Invalid Date' : x.toISOString();
    if (x === null || typeof x !== 'object' || path.length > 50) return x; // deeper than 50: plain JSON, nothing special in it
    if (Array.isArray(x)) return x.map((e, i) => walk(e, [...path, String(i)]));
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(x)) Object.defineProperty(o, k, { value: walk((x as Record<string, unknown>)[k], [...path, k]), enumerable: true, writable: true, configurable: true });
    return o;
  };
  const json = walk(v, []);
  if (root) return { json, meta: { values: root } };
  return Object.keys(values).length ? { json, meta: { values } } : { json };
}
