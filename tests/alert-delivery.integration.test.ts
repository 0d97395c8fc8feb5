// Alert delivery end to end inside one process: raiseAlert → alerts.deliver job → the workers' broker role → a
// local generic webhook, a Slack-compatible webhook and an SMTP server. Checks what each receives (level, message,
// source, UTC and New York time), the delivery policy (minimum level, rate limit, emergency actions), retries of a
// sink answering 500, a sink that is down not holding up the others, and that no secret reaches logs or Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { alertDeliveries, createLogger, raiseAlert } from '@ai-trader/core';
import { startPipeline, type Pipeline } from '@ai-trader/workers';
import { decodeHeader, startSmtpReceiver, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from './helpers/alert-receivers.ts';
import { until } from './helpers/processes.ts';

const WEBHOOK_TOKEN = 'whk_9f8e7d6c5b4a39281706';
const SLACK_TOKEN = 'T0ALERTS/B0ALERTS/slkSecretToken0123456789';
const SMTP_USER = 'alerts';
const SMTP_PASSWORD = 'smtp-Pa55 w0rd!';
const AT = '2025-06-04T14:05:03.000Z'; // 10:05:03 in New York (EDT)

describe('alert delivery', () => {
  let rt: TestRuntime;
  let webhook: WebhookReceiver;
  let slack: WebhookReceiver;
  let smtp: SmtpReceiver;
  let pipeline: Pipeline;
  const logLines: string[] = [];
  const queue = () => rt.queues.queues.get('alerts.deliver')!;
  const idle = async () => Object.values(await queue().getJobCounts('waiting', 'active', 'delayed', 'prioritized')).every((n) => n === 0);
  const mailsAbout = (key: string) => smtp.mails.filter((m) => m.headers['x-ai-trader-alert'] === key);
  const hooksAbout = (r: WebhookReceiver, text: string) => r.requests.filter((q) => JSON.stringify(q.body).includes(text));

  beforeAll(async () => {
    [webhook, slack, smtp] = await Promise.all([startWebhookReceiver(WEBHOOK_TOKEN), startWebhookReceiver(SLACK_TOKEN), startSmtpReceiver(SMTP_USER, SMTP_PASSWORD)]);
    rt = await createTestRuntime('alertdelivery', {
      ALERT_WEBHOOK_URL: webhook.url,
      ALERT_SLACK_WEBHOOK_URL: slack.url,
      ALERT_SMTP_URL: `smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${smtp.port}`,
      ALERT_EMAIL_FROM: 'ai-trader <alerts@example.com>',
      ALERT_EMAIL_TO: 'ops@example.com, risk@example.com',
      ALERT_SINK_TIMEOUT_MS: '2000',
    });
    rt.deps.clock = { now: () => new Date(AT) };
    // Every line the workers and use-cases log, through the real logger (with its redaction), kept for the last test.
    rt.deps.logger = createLogger({ name: 'alerts-test', level: 'debug', stdout: { write: (s: string) => void logLines.push(s) } });
    pipeline = await startPipeline(rt, ['broker'], { feed: false });
  });
  afterAll(async () => {
    await pipeline?.close();
    await rt?.cleanup();
    await Promise.allSettled([webhook?.stop(), slack?.stop(), smtp?.close()]);
  });

  it('an alert raised through raiseAlert reaches the webhook, Slack and e-mail with level, message, source and time (UTC and New York)', async () => {
    const key = 'breaker.drawdown:2025-06-04';
    const message = 'drawdown breaker: equity 91500.00 is 10.29 % below its peak 102000.00 (limit 10 %) → HALTED';
    const r = await raiseAlert(rt.deps, { key, level: 'critical', source: 'risk', message, details: { equity: '91500.00', peak: '102000.00' } });
    expect(r).toMatchObject({ opened: true, count: 1, queued: true });
    await until('all three sinks', async () => hooksAbout(webhook, key).length === 1 && hooksAbout(slack, key).length === 1 && mailsAbout(key).length === 1);

    const hook = hooksAbout(webhook, key)[0]!;
    expect(hook.path).toBe(`/hooks/${WEBHOOK_TOKEN}`);
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.body).toEqual({
      system: 'ai-trader', id: r.id, key, level: 'critical', source: 'risk', message, count: 1,
      at: AT, atNewYork: '2025-06-04 10:05:03 EDT', details: { equity: '91500.00', peak: '102000.00' },
    });

    const s = hooksAbout(slack, key)[0]!.body as { text: string; blocks: { type: string; text?: { text: string }; elements?: { text: string }[] }[] };
    expect(s.text).toBe(`[CRITICAL] ${message} — source risk, ${AT} UTC · 2025-06-04 10:05:03 EDT New York`);
    expect(s.blocks[0]!.text!.text).toBe(`:rotating_light: *CRITICAL* ${message}`);
    expect(s.blocks[1]!.elements![0]!.text).toBe(`source risk · key ${key} · ${AT} UTC · 2025-06-04 10:05:03 EDT New York`);
    expect(s.blocks[2]!.text!.text).toContain('"equity": "91500.00"');

    const mail = mailsAbout(key)[0]!;
    expect(mail.user).toBe(SMTP_USER); // it logged in with the configured credentials
    expect(mail.from).toBe('alerts@example.com');
    expect(mail.to).toEqual(['ops@example.com', 'risk@example.com']);
    expect(decodeHeader(mail.headers.subject!)).toBe(`ai-trader [CRITICAL] ${message}`);
    expect(mail.headers['x-ai-trader-level']).toBe('critical');
    expect(mail.body).toContain(`${message}\n\nLevel:     CRITICAL\nSource:    risk\nKey:       ${key}\nTime UTC:  ${AT}\nNew York:  2025-06-04 10:05:03 EDT\nRaised:    once\n`);

    // A sink's record is written after its answer arrives, a moment after the server saw the message.
    await until('three deliveries recorded', async () => ((await alertDeliveries(rt.deps, [r.id])).get(r.id) ?? []).filter((x) => x.status === 'sent').length === 3);
    const rec = (await alertDeliveries(rt.deps, [r.id])).get(r.id)!;
    expect(rec.map((x) => [x.sink, x.status, x.attempts, x.count])).toEqual([['webhook', 'sent', 1, 1], ['slack', 'sent', 1, 1], ['email', 'sent', 1, 1]]);
    expect(rec.find((x) => x.sink === 'slack')!.target).toBe(`http://127.0.0.1:${slack.port}/***`);
    expect(rec.find((x) => x.sink === 'email')!.target).toBe(`smtp://${SMTP_USER}:***@127.0.0.1:${smtp.port} → ops@example.com, risk@example.com`);
  });

  it('sends what the policy picks: opened at or above ALERT_MIN_LEVEL, critical repeats at most once per ALERT_REPEAT_MINUTES, every emergency action', async () => {
    const raise = (key: string, level: 'info' | 'warning' | 'critical', source = 'market-data') => raiseAlert(rt.deps, { key, level, source, message: `${key} is ${level}` });
    const queued = [
      (await raise('feed.stale:AAPL:5m', 'warning')).queued, // opened, warning ≥ warning: out
      (await raise('feed.stale:AAPL:5m', 'warning')).queued, // a bump of a warning: console only
      (await raise('scanner.volume:MSFT', 'info')).queued, // below ALERT_MIN_LEVEL
      (await raise('reconcile.drift', 'critical', 'reconciliation')).queued, // opened: out
      (await raise('reconcile.drift', 'critical', 'reconciliation')).queued, // critical bump within 15 minutes: held back
      (await raise('emergency.cancel-all', 'info', 'emergency')).queued, // emergency actions: always
      (await raise('emergency.cancel-all', 'info', 'emergency')).queued, // every press
    ];
    expect(queued).toEqual([true, false, false, true, false, true, true]);
    await until('the queue to drain', idle);
    expect(hooksAbout(webhook, 'feed.stale:AAPL:5m')).toHaveLength(1);
    expect(hooksAbout(webhook, 'scanner.volume:MSFT')).toHaveLength(0);
    expect(hooksAbout(webhook, 'reconcile.drift')).toHaveLength(1);
    expect(hooksAbout(webhook, 'emergency.cancel-all').map((q) => (q.body as { count: number }).count).sort()).toEqual([1, 2]);
    expect(mailsAbout('emergency.cancel-all')).toHaveLength(2);
    expect(hooksAbout(slack, 'emergency.cancel-all')).toHaveLength(2);
  });

  it('retries a sink answering 500 until it takes the alert; a sink that is down holds up none of the others and gets it when back', async () => {
    const key = 'exits.broker-stop:ait-0123';
    webhook.failNext(500, 500);
    await slack.stop();
    const r = await raiseAlert(rt.deps, { key, level: 'critical', source: 'exits', message: 'protective stop did not fill; selling at market' });
    expect(r.queued).toBe(true);
    // E-mail does not wait for the other two.
    await until('the e-mail', async () => mailsAbout(key).length === 1);
    await until('the first failures recorded', async () => {
      const rec = (await alertDeliveries(rt.deps, [r.id])).get(r.id) ?? [];
      return rec.filter((x) => x.status === 'failed').length === 2;
    });
    const failing = (await alertDeliveries(rt.deps, [r.id])).get(r.id)!;
    expect(failing.find((x) => x.sink === 'webhook')).toMatchObject({ status: 'failed', willRetry: true, error: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/\*\*\*: HTTP 500 upstream broken while handling POST \*\*\*$/) });
    expect(failing.find((x) => x.sink === 'slack')).toMatchObject({ status: 'failed', willRetry: true, error: `http://127.0.0.1:${slack.port}/***: connection refused` });
    expect(failing.find((x) => x.sink === 'email')).toMatchObject({ status: 'sent', attempts: 1 });

    await slack.start();
    await until('webhook and Slack after their retries', async () => hooksAbout(webhook, key).length === 1 && hooksAbout(slack, key).length === 1);
    await until('the queue to drain', idle);
    const rec = (await alertDeliveries(rt.deps, [r.id])).get(r.id)!;
    expect(rec.map((x) => [x.sink, x.status])).toEqual([['webhook', 'sent'], ['slack', 'sent'], ['email', 'sent']]);
    expect(rec.find((x) => x.sink === 'webhook')!.attempts).toBe(3); // two 500s, then taken
    expect(rec.find((x) => x.sink === 'slack')!.attempts).toBeGreaterThanOrEqual(2);
    expect(mailsAbout(key)).toHaveLength(1); // the retries went only to the sinks that had not taken it
  });

  it('no secret (SMTP password, webhook tokens) in any log line or anywhere in Redis', async () => {
    const secrets = [WEBHOOK_TOKEN, SLACK_TOKEN, SMTP_PASSWORD, encodeURIComponent(SMTP_PASSWORD)];
    const logs = logLines.join('');
    expect(logs).toContain('alert sent to slack'); // the lines are there …
    expect(logs).toContain(`http://127.0.0.1:${slack.port}/***`); // … naming the masked target
    for (const s of secrets) expect(logs).not.toContain(s);

    const redis = rt.deps.redis;
    let dump = '';
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${rt.config.REDIS_PREFIX}:*`, 'COUNT', 500);
      cursor = next;
      for (const k of found) {
        const type = await redis.type(k);
        const v =
          type === 'string' ? await redis.get(k)
          : type === 'hash' ? await redis.hgetall(k)
          : type === 'list' ? await redis.lrange(k, 0, -1)
          : type === 'zset' ? await redis.zrange(k, 0, -1)
          : type === 'set' ? await redis.smembers(k)
          : type === 'stream' ? await redis.xrange(k, '-', '+')
          : null;
        dump += `${k} ${JSON.stringify(v)}\n`;
      }
    } while (cursor !== '0');
    expect(dump).toContain(':alerts:delivery:');
    expect(dump).toContain('HTTP 500'); // the failed attempts' reasons are kept (job failures and records) …
    for (const s of secrets) expect(dump).not.toContain(s); // … without the secrets
  });
});
