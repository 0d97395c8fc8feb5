// Operator-written YAML files (strategies, scanner, job definitions): parsed and validated with a zod schema,
// and every problem reported as `file:line:column: what is wrong` — a bad file is refused whole, never half-used.
import { isNode, LineCounter, parseDocument, type Node } from 'yaml';
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

export function parseYamlConfig<S extends z.ZodType>(text: string, file: string, schema: S): z.infer<S> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lines.linePos(offset);
  if (doc.errors.length)
    throw new ConfigFileError(file, doc.errors.map((e) => ({ ...at(e.pos[0]), column: at(e.pos[0]).col, message: e.message.split('\n')[0]! })));
  const parsed = schema.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;
  throw new ConfigFileError(
    file,
    parsed.error.issues.map((i) => {
      // The deepest node of the issue's path that exists in the file: the key's value, or its parent.
      let node: unknown = doc.contents;
      for (let k = i.path.length; k >= 0 && node; k--) {
        const n = doc.getIn(i.path.slice(0, k) as (string | number)[], true);
        if (isNode(n)) {
          node = n;
          break;
        }
      }
      const range = isNode(node) ? (node as Node).range : null;
      const pos = at(range?.[0] ?? 0);
      return { line: pos.line, column: pos.col, message: `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}` };
    }),
  );
}
