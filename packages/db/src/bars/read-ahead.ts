// Pulls batches from a producer ahead of their consumer, up to a bound, so the producer's work (parsing and
// validating the next rows) runs while the consumer waits on Postgres: one thread, two jobs overlapped.

export class ReadAhead<T> {
  private readonly queue: T[][] = [];
  private queuedItems = 0;
  private finished = false;
  private failure: { error: unknown } | null = null;
  private stopped = false;
  private wakeConsumer: (() => void) | null = null;
  private wakeProducer: (() => void) | null = null;

  /** `maxItems`: the producer waits while this many items are queued (one batch always fits). */
  constructor(
    source: AsyncIterable<T[]> | Iterable<T[]>,
    private readonly maxItems: number,
  ) {
    const it = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (source as Iterable<T[]>)[Symbol.iterator]();
    void this.run(it as AsyncIterator<T[]> | Iterator<T[]>);
  }

  private async run(it: AsyncIterator<T[]> | Iterator<T[]>): Promise<void> {
    try {
      for (;;) {
        while (this.queuedItems >= this.maxItems && !this.stopped) await new Promise<void>((r) => (this.wakeProducer = r));
        if (this.stopped) break;
        const step = await it.next();
        if (step.done) break;
        this.queue.push(step.value);
        this.queuedItems += step.value.length;
        this.wake();
      }
      // Stopped by the consumer: let the producer clean up (close its file).
      if (this.stopped) await it.return?.();
    } catch (e) {
      this.failure = { error: e };
    } finally {
      this.finished = true;
      this.wake();
    }
  }

  private wake(): void {
    const w = this.wakeConsumer;
    this.wakeConsumer = null;
    w?.();
  }

  /** The next batch, null at the end; the producer's error once the batches before it are taken. */
  async take(): Promise<T[] | null> {
    for (;;) {
      const b = this.queue.shift();
      if (b) {
        this.queuedItems -= b.length;
        const w = this.wakeProducer;
        this.wakeProducer = null;
        w?.();
        return b;
      }
      if (this.failure) throw this.failure.error;
      if (this.finished) return null;
      await new Promise<void>((r) => (this.wakeConsumer = r));
    }
  }

  /** Hands a taken batch back: the next take returns it again. */
  putBack(batch: T[]): void {
    this.queue.unshift(batch);
    this.queuedItems += batch.length;
  }

  /** The batches read but not taken yet, in order. */
  queued(): readonly T[][] {
    return this.queue;
  }

  /** No more batches wanted (the consumer failed or is done): the producer is closed at its next step. */
  stop(): void {
    this.stopped = true;
    const w = this.wakeProducer;
    this.wakeProducer = null;
    w?.();
  }
}
