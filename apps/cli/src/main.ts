// Entry point: parse argv, run the command, print one clear line on an expected failure.
import { CommanderError } from 'commander';
import { CliError, createContext, type CliContext } from './context.ts';
import { buildProgram } from './program.ts';

const holder: { ctx?: CliContext } = {};
const program = buildProgram(() => (holder.ctx ??= createContext()));
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode;
  else if (e instanceof CliError) {
    console.error(e.message);
    process.exitCode = e.exitCode;
  } else {
    console.error(`error: ${e instanceof Error ? e.message.split('\n').at(-1) : String(e)}`);
    process.exitCode = 1;
  }
} finally {
  await holder.ctx?.close();
}
