// `ai-trader strategies list|apply FILE|enable NAME|disable NAME`: strategy configuration from the CLI,
// every change audited with the operator and the reason.
import { readFileSync } from 'node:fs';
import { ConfigFileError, parseYamlConfig } from '@ai-trader/adapters';
import { ZReason, ZStrategiesFile } from '@ai-trader/contracts';
import { listStrategies, saveStrategy, setStrategyEnabled } from '@ai-trader/core';
import type { Command } from 'commander';
import { CliError, cliActor, type CliContext } from '../context.ts';

function reasonOf(o: { reason?: string }): string {
  const r = ZReason.safeParse(o.reason ?? '');
  if (!r.success) throw new CliError(`--reason: ${r.error.issues[0]!.message} (every change is audited with its reason)`, 2);
  return r.data;
}

export function registerStrategies(program: Command, ctx: () => CliContext) {
  const s = program.command('strategies').description('strategy configuration (audited)');
  s.command('list')
    .description('every strategy with its config, enabled flag and version')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const rows = await listStrategies(ctx().runtime().deps);
      if (o.json) return console.log(JSON.stringify(rows, null, 2));
      if (!rows.length) return console.log('no strategies; seed them with npm start or ai-trader strategies apply ops/strategies.yaml');
      for (const r of rows) {
        const on = r.symbols.length ? r.symbols.join(',') : `scanner ${r.layer}`;
        console.log(`${r.enabled ? 'ON ' : 'off'} ${r.name.padEnd(16)} ${r.kind.padEnd(14)} ${r.timeframe} ${on}  sizing ${JSON.stringify(r.sizing)}  exits ${JSON.stringify(r.exits)}  params ${JSON.stringify(r.params)}${r.modelName ? `  model ${r.modelName}` : ''}  v${r.version} by ${r.updatedBy}`);
      }
    });
  s.command('apply')
    .description('create or update the strategies of a YAML file (ops/strategies.yaml format)')
    .argument('<file>')
    .requiredOption('--reason <text>', 'why (audited)')
    .action(async (file: string, o: { reason?: string }) => {
      const reason = reasonOf(o);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        throw new CliError(`${file}: cannot read it`, 2);
      }
      let parsed;
      try {
        parsed = parseYamlConfig(text, file, ZStrategiesFile);
      } catch (e) {
        if (e instanceof ConfigFileError) throw new CliError(e.message, 2);
        throw e;
      }
      const c = ctx();
      for (const cfg of parsed.strategies) {
        const r = await saveStrategy(c.runtime().deps, cfg, cliActor(), reason);
        console.log(`${cfg.name}: ${r.changed ? `saved as version ${r.version}` : `unchanged (version ${r.version})`}`);
      }
    });
  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    s.command(verb)
      .description(`${verb} a strategy (audited)`)
      .argument('<name>')
      .requiredOption('--reason <text>', 'why (audited)')
      .action(async (name: string, o: { reason?: string }) => {
        const reason = reasonOf(o);
        try {
          const r = await setStrategyEnabled(ctx().runtime().deps, name, enabled, cliActor(), reason);
          console.log(`${name}: ${enabled ? 'enabled' : 'disabled'}${r.changed ? ` (version ${r.version})` : ' already'}`);
        } catch (e) {
          if (e instanceof RangeError) throw new CliError(e.message, 2);
          throw e;
        }
      });
  }
}
