// Finds pnpm 10: the one on PATH when it is 10.x, otherwise the pinned version through npx. The npx copy
// is resolved to its file once, because every `npx -y pnpm@…` call costs about 2.5 s.
import { capture, run } from './exec.mjs';
import { fail } from './steps.mjs';

export const PINNED_PNPM = '10.34.9';

/** Returns `{ bin, version, source }`; `bin` is an executable path or `pnpm`. */
export function resolvePnpm() {
  const onPath = capture('pnpm', ['--version']);
  if (onPath?.startsWith('10.')) return { bin: 'pnpm', version: onPath, source: 'from PATH' };
  const why = onPath ? `pnpm on PATH is ${onPath}` : 'no pnpm on PATH';
  // `npx -p` puts the package's bin on PATH for the command, so this prints the cached file's path.
  const bin = capture('npx', ['-y', '-p', `pnpm@${PINNED_PNPM}`, '-c', 'command -v pnpm'])?.split('\n').pop();
  const version = bin ? capture(bin, ['--version']) : null;
  if (!bin || !version?.startsWith('10.')) {
    fail(`could not get pnpm ${PINNED_PNPM} through npx (${why}); check the npm registry is reachable`);
  }
  return { bin, version, source: `via npx (${why})` };
}

/** `pnpm <args>` with the terminal attached; throws a StepError naming the command on failure. */
export function pnpm(tool, args, opts = {}) {
  return run(tool.bin, args, { label: `pnpm ${args.join(' ')}`, ...opts });
}
