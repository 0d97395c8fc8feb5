// The positions and orders pages' push timing: the first relevant change goes out at once, later ones at most once per
// window, and changes of other kinds neither push nor hold a push back.
import { describe, expect, it } from 'vitest';
import { promptly } from './positions.ts';

type Kind = 'position' | 'audit';

/** A change source fed by hand: each `send` is one batch from the hub. */
function source() {
  const queue: Set<Kind>[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  return {
    send(...kinds: Kind[]) {
      queue.push(new Set(kinds));
      wake?.();
    },
    end() {
      done = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (!queue.length && !done) await new Promise<void>((r) => (wake = r));
        wake = null;
        const batch = queue.shift();
        if (!batch) return;
        yield batch;
      }
    },
  };
}

describe('promptly', () => {
  it('pushes the first change at once, the next no sooner than the window, and skips other kinds', async () => {
    const src = source();
    const out: { kinds: Kind[]; at: number }[] = [];
    const t0 = performance.now();
    const run = (async () => {
      for await (const b of promptly(src, ['position'] as const, 100)) out.push({ kinds: [...b], at: performance.now() - t0 });
    })();
    src.send('audit'); // another page's kind: no push, and no window started
    await new Promise((r) => setTimeout(r, 20));
    src.send('position');
    await new Promise((r) => setTimeout(r, 10));
    expect(out.map((o) => o.kinds)).toEqual([['position']]);
    expect(out[0]!.at).toBeLessThan(60);
    src.send('position', 'audit');
    src.end();
    await run;
    expect(out.map((o) => o.kinds)).toEqual([['position'], ['position', 'audit']]);
    expect(out[1]!.at - out[0]!.at).toBeGreaterThanOrEqual(95);
  });
});
