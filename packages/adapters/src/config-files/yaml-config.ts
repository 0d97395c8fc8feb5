// Operator-written YAML files (strategies, scanner, job definitions): parsed and validated with a zod schema,
// and every problem reported as `file:line:column: what is wrong` — a bad file is refused whole, never half-used.
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { z } from 'zod';

export class ConfigFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { line: number; column: number; message: string }[],
  ) {
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    super(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
    this.name = 'ConfigFileError';
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseYamlConfig<S extends z.ZodType>(text: string, file: string, schema: S): z.infer<S> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length) throw new ConfigFileError(file, doc.errors.map((e) => ({ ...at(e.pos[0]), message: `not valid YAML: ${e.message.split('\n')[0]}` })));
  // A key that JavaScript objects treat specially would be dropped silently on the way to a plain object: refused.
  const forbidden: { line: number; column: number; message: string }[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (isPair(pair) && isScalar(pair.key) && typeof pair.key.value === 'string' && FORBIDDEN_KEYS.has(pair.key.value))
        forbidden.push({ ...at(pair.key.range?.[0] ?? 0), message: `a key named ${pair.key.value} is not allowed` });
    },
  });
  if (forbidden.length) throw new ConfigFileError(file, forbidden);
  let js: unknown;
  try {
    js = doc.toJS();
  } catch (e) {
    // The yaml library refuses alias bombs ("billion laughs") and the like while building values: still a bad file.
    throw new ConfigFileError(file, [{ line: 1, column: 1, message: `not valid YAML: ${(e as Error).message}` }]);
  }
  const parsed = schema.safeParse(js ?? {});
  if (parsed.success) return parsed.data;
  throw new ConfigFileError(
    file,
    parsed.error.issues.map((i) => {
      const keys = i.path.map((k) => (typeof k === 'symbol' ? String(k) : k));
      const unknownKey = i.code === 'unrecognized_keys' ? i.keys[0] : undefined;
      const where = [...keys, ...(unknownKey ? [unknownKey] : [])].join('.');
      return { ...at(positionOf(doc, keys, unknownKey) ?? 0), message: `${where ? `${where}: ` : ''}${i.message}` };
    }),
  );
}

/** Offset of the node at `keys` (or of its key `unknownKey`), else of the nearest enclosing node that exists. */
function positionOf(doc: Document, keys: (string | number)[], unknownKey?: string): number | null {
  for (let n = keys.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    if (!isNode(node) || !node.range) continue;
    if (unknownKey && n === keys.length && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === unknownKey);
      if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
    }
    return node.range[0];
  }
  return null;
}
