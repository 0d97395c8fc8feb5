// ReadAhead runs its producer ahead of the consumer, never further than its bound, hands over the producer's
// error only after the batches read before it, and closes the producer when told to stop.
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ReadAhead } from './read-ahead.ts';

describe('ReadAhead', () => {
  it('reads ahead while the consumer is busy, up to its bound', async () => {
    let produced = 0;
    async function* source() {
      for (let i = 0; i < 10; i++) {
        produced++;
        yield [i, i];
      }
    }
    const ahead = new ReadAhead(source(), 5); // waits once 5 items are queued: 3 batches of 2
    for (let i = 0; i < 20; i++) await tick();
    expect(produced).toBe(3);
    expect(ahead.queued()).toEqual([[0, 0], [1, 1], [2, 2]]);
    const taken: number[][] = [];
    for (let b = await ahead.take(); b; b = await ahead.take()) taken.push(b);
    expect(taken).toEqual(Array.from({ length: 10 }, (_, i) => [i, i]));
  });

  it('gives a taken batch back, and the batches read before a failure before the failure', async () => {
    function* source() {
      yield [1];
      yield [2];
      throw new Error('disk read error');
    }
    const ahead = new ReadAhead(source(), 100);
    const first = (await ahead.take())!;
    ahead.putBack(first);
    expect(await ahead.take()).toEqual([1]);
    expect(await ahead.take()).toEqual([2]);
    await expect(ahead.take()).rejects.toThrow('disk read error');
  });

  it('closes the producer when stopped', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield [i];
      } finally {
        closed = true;
      }
    }
    const ahead = new ReadAhead(source(), 2);
    expect(await ahead.take()).toEqual([0]);
    ahead.stop();
    for (let i = 0; i < 20 && !closed; i++) await tick();
    expect(closed).toBe(true);
  });
});
