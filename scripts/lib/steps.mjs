// Runs the numbered steps of `npm start` / `npm test`: prints each with its duration, keeps the timings
// for a summary, and turns any failure into one readable line and a non-zero exit (never a stack trace).

/** A failure whose message is a complete explanation for a person; `exitCode` is what the process returns. */
export class StepError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.name = 'StepError';
    this.exitCode = exitCode;
  }
}

export function fail(message, exitCode = 1) {
  throw new StepError(message, exitCode);
}

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code) => (s) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint('1');
export const dim = paint('2');
const green = paint('32');
const red = paint('31');

const timings = [];

export function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Runs one step. `fn` returns nothing when it did its work, or `{ skipped: 'why' }` / `{ note: '…' }`.
 * A failing step is reported here and rethrown already marked as reported, so `main` does not repeat it.
 */
export async function step(title, fn) {
  console.log(bold(`▸ ${title}`));
  const started = performance.now();
  let result;
  try {
    result = await fn();
  } catch (error) {
    const ms = performance.now() - started;
    timings.push({ title, ms, status: 'failed' });
    const message = error instanceof StepError ? error.message : firstLine(error);
    console.error(red(`✗ ${title} failed after ${seconds(ms)}: ${message}`));
    const reported = new StepError(message, error instanceof StepError ? error.exitCode : 1);
    reported.reported = true;
    throw reported;
  }
  const ms = performance.now() - started;
  if (result?.skipped) {
    timings.push({ title, ms, status: `skipped: ${result.skipped}` });
    console.log(dim(`– ${title}: skipped (${result.skipped})`));
  } else {
    timings.push({ title, ms, status: 'ok' });
    console.log(green(`✓ ${title} (${seconds(ms)}${result?.note ? `, ${result.note}` : ''})`));
  }
  return result;
}

export function printSummary(heading) {
  if (!timings.length) return;
  console.log(bold(`\n${heading}`));
  const width = Math.max(...timings.map((t) => t.title.length));
  for (const t of timings) console.log(`  ${t.title.padEnd(width)}  ${seconds(t.ms).padStart(8)}  ${t.status}`);
  const total = timings.reduce((sum, t) => sum + t.ms, 0);
  console.log(`  ${'total'.padEnd(width)}  ${seconds(total).padStart(8)}`);
}

function firstLine(error) {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] || 'unknown error';
}

/** Entry point wrapper: expected failures exit with their code and one line; `finally` runs either way. */
export async function main(fn, { onExit } = {}) {
  let code = 0;
  try {
    await fn();
  } catch (error) {
    if (!error?.reported) console.error(red(`✗ ${error instanceof StepError ? error.message : firstLine(error)}`));
    code = error instanceof StepError ? error.exitCode : 1;
  }
  onExit?.(code);
  process.exit(code);
}
