import { parseConfig } from '@ai-trader/contracts';
import { describe, expect, it } from 'vitest';
import { alertDeliveryPolicy, newYorkTime, secretScrubber } from './deliver-alert.ts';

describe('alert delivery policy', () => {
  const withSink = parseConfig({ ALERT_WEBHOOK_URL: 'https://hooks.example.com/t0ken' });

  it('nothing goes out without a sink', () => {
    expect(alertDeliveryPolicy(parseConfig({}), { level: 'critical', source: 'emergency' }, true)).toBe('none');
  });

  it('opened at or above ALERT_MIN_LEVEL, and critical repeats, rate-limited; emergency actions always', () => {
    const p = (level: 'info' | 'warning' | 'critical', opened: boolean, source = 'risk') => alertDeliveryPolicy(withSink, { level, source }, opened);
    expect([p('info', true), p('warning', true), p('critical', true)]).toEqual(['none', 'rate-limited', 'rate-limited']);
    expect([p('warning', false), p('critical', false)]).toEqual(['none', 'rate-limited']);
    expect([p('info', true, 'emergency'), p('info', false, 'emergency')]).toEqual(['always', 'always']);
    expect(alertDeliveryPolicy({ ...withSink, ALERT_MIN_LEVEL: 'info' }, { level: 'info', source: 'scanner' }, true)).toBe('rate-limited');
    expect(alertDeliveryPolicy({ ...withSink, ALERT_MIN_LEVEL: 'critical' }, { level: 'warning', source: 'market-data' }, true)).toBe('none');
  });
});

describe('newYorkTime', () => {
  it('New York wall time with its zone, summer and winter', () => {
    expect(newYorkTime(new Date('2025-06-04T14:05:03Z'))).toBe('2025-06-04 10:05:03 EDT');
    expect(newYorkTime(new Date('2025-01-02T00:30:00Z'))).toBe('2025-01-01 19:30:00 EST');
  });
});

describe('secretScrubber', () => {
  it('masks sink URLs, the SMTP password (as written and decoded), webhook paths and database passwords', () => {
    const scrub = secretScrubber({
      ALERT_WEBHOOK_URL: 'https://hooks.example.com/in/abc123token',
      ALERT_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/slackTok',
      ALERT_SMTP_URL: 'smtp://u:p%40ss-word@smtp.example.com:587',
      DATABASE_URL: 'postgresql://app:db-pass-1@db/x',
    });
    expect(scrub('POST /in/abc123token failed')).toBe('POST *** failed');
    expect(scrub('535 auth p@ss-word rejected; raw p%40ss-word')).toBe('535 auth *** rejected; raw ***');
    expect(scrub('sent to https://hooks.slack.com/services/T0/B0/slackTok')).toBe('sent to ***');
    expect(scrub('password authentication failed (db-pass-1)')).toBe('password authentication failed (***)');
    expect(scrub('nothing secret here')).toBe('nothing secret here');
  });
});
