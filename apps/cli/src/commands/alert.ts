// `ai-trader alert send --level critical --message "…"`: raise an alert on the console and deliver it at once to
// every configured sink (webhook, Slack, e-mail), printing each sink's answer. Exit 1 when every configured sink
// failed (those failures are queued for the workers to retry) or nothing at all took it, 2 on bad usage. Targets are
// printed masked.
import { createHash } from 'node:crypto';
import { ZAlertLevel, type TAlertSendResult, type TAlertSinkResult } from '@ai-trader/contracts';
import { sendAlert } from '@ai-trader/core';
import type { Command } from 'commander';
import { paint } from '../colour.ts';
import { CliError, cliActor, type CliContext } from '../context.ts';

const SOURCE = /^[a-z0-9][a-z0-9._-]{0,39}$/;
const MESSAGE_MAX = 2000;
const KEY_MAX = 200;

/** Same source and message, same key: sending it again bumps the open alert instead of opening another. */
export const defaultAlertKey = (source: string, message: string) => `${source}:${createHash('sha256').update(message).digest('hex').slice(0, 12)}`;

const LEVEL_COLOUR = { info: (s: string) => s, warning: paint.yellow, critical: paint.red } as const;

function sinkLine(r: TAlertSinkResult): string {
  const name = r.sink.padEnd(8);
  if (r.status === 'not_configured') return `  ${name} ${paint.dim('not configured')}`;
  if (r.status === 'sent') return `  ${name} ${paint.green('sent')}    ${r.target ?? ''}`;
  return `  ${name} ${paint.red('FAILED')}  ${r.error ?? 'unknown error'}${r.willRetry ? paint.dim(' (queued: the workers retry it)') : ''}`;
}

function print(r: TAlertSendResult): void {
  const a = r.alert;
  const how = a.opened ? 'opened' : `raised again (${a.count} times)`;
  if (a.console === 'raised') console.log(`console: alert ${LEVEL_COLOUR[a.level](a.level.toUpperCase())} ${a.key} ${how}, id ${a.id}`);
  else console.log(`console: ${paint.red('FAILED')} ${a.consoleError ?? ''} (sending to the sinks anyway)`);
  for (const s of r.sinks) console.log(sinkLine(s));
  if (r.sinks.every((s) => s.status === 'not_configured'))
    console.log(paint.yellow('no sink configured (ALERT_WEBHOOK_URL, ALERT_SLACK_WEBHOOK_URL, ALERT_SMTP_URL): the alert is on the console only'));
  else if (r.allFailed) console.log(paint.red('every configured sink failed'));
}

export function registerAlert(program: Command, ctx: () => CliContext) {
  const alert = program.command('alert').description('alerts to the operators: the console and the configured sinks (webhook, Slack, e-mail)');
  alert
    .command('send')
    .description('raise an alert on the console and send it now to every configured sink; exit 1 if all of them failed')
    .option('--level <level>', 'info | warning | critical')
    .option('--message <text>', 'what the operators must know')
    .option('--source <name>', 'who raises it (lower-case letters, digits, . _ -)', 'cli')
    .option('--key <key>', 'the alert\'s subject; the same key again bumps the open alert (default: from source and message)')
    .option('--json', 'print JSON')
    .action(async (o: { level?: string; message?: string; source: string; key?: string; json?: boolean }) => {
      const level = ZAlertLevel.safeParse(o.level);
      if (!level.success) throw new CliError(`--level ${o.level ?? '(missing)'}: must be info, warning or critical`, 2);
      const message = o.message?.trim() ?? '';
      if (!message) throw new CliError('--message: required, the text of the alert', 2);
      if (message.length > MESSAGE_MAX) throw new CliError(`--message: at most ${MESSAGE_MAX} characters (got ${message.length})`, 2);
      if (!SOURCE.test(o.source)) throw new CliError(`--source ${o.source}: must be 1–40 lower-case letters, digits, . _ or - (e.g. cli, ops.desk)`, 2);
      if (o.key !== undefined && (!o.key.trim() || o.key.length > KEY_MAX)) throw new CliError(`--key: must be 1–${KEY_MAX} characters`, 2);
      const key = o.key?.trim() ?? defaultAlertKey(o.source, message);
      const r = await sendAlert(ctx().runtime().deps, { key, level: level.data, source: o.source, message, details: { sentBy: cliActor().email } });
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else print(r);
      if (r.allFailed || r.nobodyTookIt) process.exitCode = 1;
    });
}
