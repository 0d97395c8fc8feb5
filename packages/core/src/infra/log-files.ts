// A pino destination that writes each line to the runbook's category files under LOG_DIR (log-format.ts says
// which). Several processes append to the same files: each file is opened O_APPEND and written in whole lines
// (sonic-boom, asynchronous), so lines never interleave mid-line and the event loop never waits for the disk.
// Rotation is outside (ops/logrotate.conf, copytruncate): an O_APPEND writer carries on at the truncated end.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { fileCategory, fileRecord, filesFor, parseLine, prettyLine, type TLogFile } from './log-format.ts';

/** pino.multistream sets lastLevel on a destination carrying this flag. */
const PINO_METADATA: unique symbol = Symbol.for('pino.metadata') as never;

type Boom = ReturnType<typeof pino.destination>;
/** sonic-boom's descriptor (-1 until the file is open; its types do not declare it): flushSync throws before that. */
const isOpen = (b: Boom) => ((b as unknown as { fd?: number }).fd ?? -1) >= 0;

/** Every open file of this process, flushed synchronously on exit (a crash or process.exit loses no buffered line). */
const OPEN = new Set<Boom>();
let exitHook = false;
function onExit(): void {
  for (const b of OPEN) {
    try {
      if (isOpen(b)) b.flushSync();
    } catch {
      /* closed or failing: nothing more to do on the way out */
    }
  }
}

export interface LogFilesOptions {
  dir: string;
  /** `json` (default): one JSON record a line; `pretty`: the runbook's line form. */
  format?: 'json' | 'pretty';
  /** Write each line before returning (tests, short CLI commands); default false: asynchronous, the event loop never waits. */
  sync?: boolean;
  /** Where the once-a-minute complaint about a failing file goes (default stderr; never the logger itself). */
  warn?: (message: string) => void;
}

export class LogFiles {
  readonly [PINO_METADATA] = true;
  /** Set by pino.multistream before each write. */
  lastLevel = 0;
  readonly dir: string;
  private readonly files = new Map<TLogFile, Boom>();
  /** A file that failed (cannot be created, disk full) is left alone until then, its lines dropped and counted. */
  private readonly failedUntil = new Map<TLogFile, number>();
  dropped = 0;
  private readonly format: 'json' | 'pretty';
  private readonly sync: boolean;
  private readonly warnOut: (m: string) => void;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(o: LogFilesOptions) {
    this.dir = path.resolve(o.dir);
    this.format = o.format ?? 'json';
    this.sync = o.sync ?? false;
    this.warnOut = o.warn ?? ((m) => void process.stderr.write(`${m}\n`));
    if (!exitHook) {
      exitHook = true;
      process.on('exit', onExit);
    }
  }

  write(chunk: string): void {
    if (this.closed) return;
    try {
      const raw = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      const o = parseLine(raw, this.lastLevel);
      if (!o) return this.out('ai_trader.log', `${raw}\n`); // not pino's (or cut): kept as it came
      const category = fileCategory(o);
      const line = `${this.format === 'pretty' ? prettyLine({ ...o, category }) : JSON.stringify(fileRecord(o, category))}\n`;
      for (const f of filesFor(o, category)) this.out(f, line);
    } catch (e) {
      this.complain(`log files: line not written: ${(e as Error).message}`);
    }
  }

  /** Writes what is buffered now (files still being opened keep their lines until they are open). */
  flushSync(): void {
    for (const b of this.files.values()) if (isOpen(b)) b.flushSync();
  }

  /** Flushes and closes every file; later lines are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.files.values()].map((b) => new Promise<void>((resolve) => {
      OPEN.delete(b);
      b.once('close', () => resolve());
      b.once('error', () => resolve());
      b.end();
    })));
    this.files.clear();
  }

  private out(file: TLogFile, line: string): void {
    let b = this.files.get(file);
    if (!b) {
      if ((this.failedUntil.get(file) ?? 0) > Date.now()) {
        this.dropped++;
        return;
      }
      try {
        b = pino.destination({ dest: path.join(this.dir, file), append: true, mkdir: true, sync: this.sync });
      } catch (e) {
        return this.fail(file, null, e as Error); // sync: the open itself threw
      }
      // Without a listener an unwritable file (permissions, disk full) would crash the process; and a file that never
      // opens would buffer every line in memory: it is dropped and tried again a minute later.
      const boom = b;
      boom.on('error', (e: Error) => this.fail(file, boom, e));
      // pino flushes its destinations synchronously when the process exits, and sonic-boom's flushSync throws while the
      // file is still being opened — an uncaught exception on the way out of a process that ends just after its first
      // line. Lines of a file not yet open cannot be written synchronously anyway: such a flush does nothing.
      const flushSync = boom.flushSync.bind(boom);
      boom.flushSync = () => {
        if (isOpen(boom)) flushSync();
      };
      this.files.set(file, boom);
      OPEN.add(boom);
    }
    b.write(line);
  }

  private fail(file: TLogFile, b: Boom | null, e: Error): void {
    this.dropped++;
    this.failedUntil.set(file, Date.now() + 60_000);
    if (b && this.files.get(file) === b) {
      this.files.delete(file);
      OPEN.delete(b);
      try {
        b.destroy();
      } catch {
        /* already gone */
      }
    }
    this.complain(`log files: ${file}: ${e.message} (lines for it dropped for a minute; ${this.dropped} dropped so far)`);
  }

  /** At most once a minute, straight to stderr (logging it would come back here). */
  private complain(message: string): void {
    const now = Date.now();
    if (now - this.lastWarnAt < 60_000) return;
    this.lastWarnAt = now;
    try {
      this.warnOut(message);
    } catch {
      /* nowhere left to say it */
    }
  }
}

/** The stdout stream in the runbook's line form (LOG_FORMAT=pretty). */
export class PrettyStream {
  readonly [PINO_METADATA] = true;
  lastLevel = 0;
  constructor(private readonly dest: { write(s: string): unknown }) {}
  write(chunk: string): void {
    const raw = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
    const o = parseLine(raw, this.lastLevel);
    this.dest.write(`${o ? prettyLine(o) : raw}\n`);
  }
}

/**
 * LOG_DIR as configured: unset → `logs/` at the workspace root (the processes run in their package directories, and
 * every one must write the same files), except in tests; empty or `off` → no files.
 */
export function resolveLogDir(config: { LOG_DIR?: string | undefined; NODE_ENV: string }, cwd = process.cwd()): string | null {
  const d = config.LOG_DIR?.trim();
  if (d === undefined) return config.NODE_ENV === 'test' ? null : path.join(workspaceRoot(cwd), 'logs');
  return d === '' || d === 'off' ? null : path.resolve(cwd, d);
}

/** The nearest directory at or above `from` holding pnpm-workspace.yaml, else `from`. */
function workspaceRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from);
  }
}
