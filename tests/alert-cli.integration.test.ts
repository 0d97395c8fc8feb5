// `ai-trader alert send` as a process: raises the alert on the console, delivers it at once to the configured sinks
// (local webhook, Slack-compatible webhook and SMTP receivers) and prints each sink's result; exit 1 when every
// configured sink failed (the failures are queued for the workers), 2 on bad usage; never prints a secret.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { listAlerts } from '@ai-trader/core';
import { decodeHeader, startSmtpReceiver, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from './helpers/alert-receivers.ts';
import { runCli } from './helpers/processes.ts';

const WEBHOOK_TOKEN = 'whk_cli_5a4b3c2d1e0f';
const SLACK_TOKEN = 'T0CLI/B0CLI/slkCliToken9876543210';
const SMTP_PASSWORD = 'cli-smtp-S3cret';

describe('ai-trader alert send', () => {
  let rt: TestRuntime;
  let webhook: WebhookReceiver;
  let slack: WebhookReceiver;
  let smtp: SmtpReceiver;
  let base: Record<string, string>;
  let sinks: Record<string, string>;
  const secrets = [WEBHOOK_TOKEN, SLACK_TOKEN, SMTP_PASSWORD, 'wrong-Passw0rd'];
  const send = (args: string[], env: Record<string, string> = sinks) => runCli(['alert', 'send', ...args], { ...base, ...env });

  beforeAll(async () => {
    [webhook, slack, smtp] = await Promise.all([startWebhookReceiver(WEBHOOK_TOKEN), startWebhookReceiver(SLACK_TOKEN), startSmtpReceiver('ops', SMTP_PASSWORD)]);
    rt = await createTestRuntime('alertcli');
    base = { DATABASE_URL: rt.config.DATABASE_URL, REDIS_URL: rt.config.REDIS_URL, REDIS_PREFIX: rt.config.REDIS_PREFIX, LOG_LEVEL: 'warn', NO_COLOR: '1' };
    sinks = {
      ALERT_WEBHOOK_URL: webhook.url, ALERT_SLACK_WEBHOOK_URL: slack.url,
      ALERT_SMTP_URL: `smtp://ops:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}`, ALERT_EMAIL_FROM: 'alerts@example.com', ALERT_EMAIL_TO: 'oncall@example.com',
      ALERT_SINK_TIMEOUT_MS: '2000',
    };
  });
  afterAll(async () => {
    await rt?.cleanup();
    await Promise.allSettled([webhook?.stop(), slack?.stop(), smtp?.close()]);
  });

  it('raises the alert on the console and sends it to every sink, printing each result; again: the same alert, sent again', async () => {
    const message = 'Broker unreachable for 5 minutes: trading halted by hand';
    const r = await send(['--level', 'critical', '--message', message]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^console: alert CRITICAL cli:[0-9a-f]{12} opened, id [0-9a-f-]{36}$/);
    expect(lines.slice(1)).toEqual([
      `  webhook  sent    http://127.0.0.1:${webhook.port}/***`,
      `  slack    sent    http://127.0.0.1:${slack.port}/***`,
      `  email    sent    smtp://ops:***@127.0.0.1:${smtp.port} → oncall@example.com`,
    ]);
    expect(webhook.requests.at(-1)!.body).toMatchObject({ level: 'critical', source: 'cli', message, count: 1, details: { sentBy: expect.stringMatching(/^cli:/) } });
    expect((slack.requests.at(-1)!.body as { text: string }).text).toContain(`[CRITICAL] ${message} — source cli, `);
    expect(decodeHeader(smtp.mails.at(-1)!.headers.subject!)).toBe(`ai-trader [CRITICAL] ${message}`);
    const [alert] = await listAlerts(rt.deps, { open: true, limit: 5, keyPrefix: 'cli:' });
    expect(alert).toMatchObject({ level: 'critical', source: 'cli', message, count: 1 });

    // The operator sends it again: the open alert is bumped, and it goes out again (no rate limit for a person).
    const again = JSON.parse((await send(['--level', 'critical', '--message', message, '--json'])).stdout);
    expect(again.alert).toMatchObject({ id: alert!.id, key: alert!.key, opened: false, count: 2, console: 'raised' });
    expect(again.sinks.map((s: { sink: string; status: string }) => `${s.sink} ${s.status}`)).toEqual(['webhook sent', 'slack sent', 'email sent']);
    expect(again.allFailed).toBe(false);
    expect(webhook.requests.at(-1)!.body).toMatchObject({ count: 2 });
    for (const s of secrets) expect(r.stdout + r.stderr + JSON.stringify(again)).not.toContain(s);
  });

  it('writes its log lines to the runbook\'s category files like the console and the workers (LOG_DIR)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ait-cli-logs-'));
    try {
      const message = 'Disk on the database host at 93 %';
      const r = await send(['--level', 'critical', '--message', message, '--key', 'cli-logs-test'], { ...sinks, LOG_DIR: dir, NODE_ENV: 'production' });
      expect(r.status, r.stderr + r.stdout).toBe(0);
      const read = (f: string) => readFileSync(path.join(dir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const all = read('ai_trader.log');
      expect(all.some((l) => l.name === 'cli' && String(l.msg).includes(message))).toBe(true);
      expect(read('errors/critical.log').some((l) => String(l.msg).includes(message))).toBe(true);
      for (const s of secrets) expect(readFileSync(path.join(dir, 'ai_trader.log'), 'utf8')).not.toContain(s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which sinks are not configured; --key and --source name the alert', async () => {
    const r = await send(['--level', 'info', '--message', 'maintenance window at 17:00', '--source', 'ops.desk', '--key', 'maintenance:2025-06-04'], { ALERT_WEBHOOK_URL: webhook.url });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^console: alert INFO maintenance:2025-06-04 opened, id /),
      `  webhook  sent    http://127.0.0.1:${webhook.port}/***`,
      '  slack    not configured',
      '  email    not configured',
    ]);
    expect(webhook.requests.at(-1)!.body).toMatchObject({ key: 'maintenance:2025-06-04', level: 'info', source: 'ops.desk' });

    const none = await send(['--level', 'warning', '--message', 'nobody listening'], {});
    expect(none.status).toBe(0);
    expect(none.stdout).toContain('no sink configured (ALERT_WEBHOOK_URL, ALERT_SLACK_WEBHOOK_URL, ALERT_SMTP_URL): the alert is on the console only');
  });

  it('exit 1 when every configured sink fails: why, per sink, and the retryable ones queued for the workers; no secret printed', async () => {
    webhook.failNext(503, 503);
    await slack.stop();
    try {
      const r = await send(['--level', 'critical', '--message', 'every sink is failing', '--json'], { ...sinks, ALERT_SMTP_URL: `smtp://ops:wrong-Passw0rd@127.0.0.1:${smtp.port}` });
      expect(r.status, r.stderr).toBe(1);
      const out = JSON.parse(r.stdout);
      expect(out.allFailed).toBe(true);
      const by = Object.fromEntries(out.sinks.map((s: { sink: string }) => [s.sink, s]));
      expect(by.webhook).toMatchObject({ status: 'failed', willRetry: true, error: `http://127.0.0.1:${webhook.port}/***: HTTP 503 upstream broken while handling POST ***` });
      expect(by.slack).toMatchObject({ status: 'failed', willRetry: true, error: `http://127.0.0.1:${slack.port}/***: connection refused` });
      // Bad credentials: retrying cannot help, so it is not queued.
      expect(by.email).toMatchObject({ status: 'failed', willRetry: false, error: expect.stringMatching(new RegExp(`^smtp://ops:\\*\\*\\*@127\\.0\\.0\\.1:${smtp.port} → oncall@example\\.com: EAUTH .*535`)) });
      const job = await rt.queues.queues.get('alerts.deliver')!.getJob(`alert-${out.alert.id}-${out.alert.count}`); // the natural id: alert + raise
      expect(job?.data).toMatchObject({ alertId: out.alert.id, message: 'every sink is failing', level: 'critical' });

      const text = await send(['--level', 'critical', '--message', 'every sink is failing'], { ...sinks, ALERT_SMTP_URL: `smtp://ops:wrong-Passw0rd@127.0.0.1:${smtp.port}` });
      expect(text.status).toBe(1);
      expect(text.stdout).toContain('  slack    FAILED  ');
      expect(text.stdout).toContain('(queued: the workers retry it)');
      expect(text.stdout.trim().split('\n').at(-1)).toBe('every configured sink failed');
      for (const s of secrets) expect(r.stdout + r.stderr + text.stdout + text.stderr).not.toContain(s);
    } finally {
      await slack.start();
    }
  });

  it('still sends to the sinks when the console cannot store the alert (Postgres down)', async () => {
    const n = webhook.requests.length;
    const r = await send(['--level', 'critical', '--message', 'database is down'], { ...sinks, DATABASE_URL: 'postgresql://postgres:db-Secret-1@127.0.0.1:1/ai_trader' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^console: FAILED .+ \(sending to the sinks anyway\)$/);
    expect(r.stdout).toContain('  webhook  sent');
    expect(webhook.requests.length).toBe(n + 1);
    expect(r.stdout + r.stderr).not.toContain('db-Secret-1');
  });

  it('bad usage: one line, exit 2', async () => {
    const cases = [
      [['--message', 'x'], '--level (missing): must be info, warning or critical'],
      [['--level', 'urgent', '--message', 'x'], '--level urgent: must be info, warning or critical'],
      [['--level', 'critical'], '--message: required, the text of the alert'],
      [['--level', 'critical', '--message', '   '], '--message: required, the text of the alert'],
      [['--level', 'critical', '--message', 'x', '--source', 'Ops Desk'], '--source Ops Desk: must be 1–40 lower-case letters, digits, . _ or - (e.g. cli, ops.desk)'],
    ] as const;
    const runs = await Promise.all(cases.map(([args]) => send([...args])));
    cases.forEach(([args, msg], i) => {
      expect(runs[i]!.stderr.trim(), args.join(' ')).toBe(msg);
      expect(runs[i]!.status, args.join(' ')).toBe(2);
    });
  });
});
