// Entry point: parse argv, run the command, print one clear line on a failure. Exit codes: 0 ok, 1 failure,
// 2 usage (commander's own errors — unknown option, missing argument, no command — and bad input from commands).
// --verbose adds the stack and the chain of causes.
import { CommanderError } from 'commander';
import { paintErr } from './colour.ts';
import { CliError, createContext, type CliContext } from './context.ts';
import { buildProgram } from './program.ts';

/** Help and version end "with an error" in commander's terms, but they did what was asked. */
const NOT_FAILURES = new Set(['commander.helpDisplayed', 'commander.version']);

function details(e: unknown): string {
  const lines: string[] = [];
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 8; depth++) {
    if (depth > 0) lines.push('caused by:');
    lines.push(c instanceof Error ? (c.stack ?? `${c.name}: ${c.message}`) : String(c));
    c = c instanceof Error ? c.cause : undefined;
  }
  return lines.join('\n');
}

const holder: { ctx?: CliContext } = {};
const program = buildProgram(() => (holder.ctx ??= createContext()));
// Read from argv too: a usage error can end parsing before commander has stored the option.
const verbose = () => program.opts<{ verbose?: boolean }>().verbose === true || process.argv.slice(2).includes('--verbose');
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = NOT_FAILURES.has(e.code) || e.exitCode === 0 ? 0 : 2; // commander printed it
  else if (e instanceof CliError) {
    console.error(paintErr.red(e.message));
    if (verbose() && e.cause !== undefined) console.error(details(e.cause));
    process.exitCode = e.exitCode;
  } else {
    // Multi-line messages (Prisma's) end with the line that says what happened.
    console.error(paintErr.red(`error: ${e instanceof Error ? e.message.trim().split('\n').at(-1) : String(e)}`));
    if (verbose()) console.error(details(e));
    process.exitCode = 1;
  }
} finally {
  await holder.ctx?.close();
}
