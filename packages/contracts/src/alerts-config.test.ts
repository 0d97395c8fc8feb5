import { describe, expect, it } from 'vitest';
import { maskSecretUrl, parseConfig } from './config.ts';

describe('alert sink configuration', () => {
  it('no sinks by default; warning and above, one delivery per key per 15 minutes', () => {
    const c = parseConfig({});
    expect([c.ALERT_WEBHOOK_URL, c.ALERT_SLACK_WEBHOOK_URL, c.ALERT_SMTP_URL]).toEqual([undefined, undefined, undefined]);
    expect(c.ALERT_MIN_LEVEL).toBe('warning');
    expect(c.ALERT_REPEAT_MINUTES).toBe(15);
  });

  it('parses the e-mail settings: a mailbox with a name, a comma list of recipients', () => {
    const c = parseConfig({ ALERT_SMTP_URL: 'smtps://u:p@smtp.example.com', ALERT_EMAIL_FROM: 'ai-trader <alerts@example.com>', ALERT_EMAIL_TO: 'a@example.com, b@example.org' });
    expect(c.ALERT_EMAIL_TO).toEqual(['a@example.com', 'b@example.org']);
    expect(() => parseConfig({ ALERT_SMTP_URL: 'smtp://h', ALERT_EMAIL_FROM: 'a@example.com', ALERT_EMAIL_TO: 'a@example.com;b@example.com' })).toThrow(/^Invalid configuration: ALERT_EMAIL_TO must be e-mail addresses separated by commas/);
    expect(() => parseConfig({ ALERT_SMTP_URL: 'smtp://h', ALERT_EMAIL_TO: 'a@example.com' })).toThrow(/ALERT_EMAIL_FROM is required with ALERT_SMTP_URL/);
    expect(() => parseConfig({ ALERT_EMAIL_TO: 'a@example.com' })).toThrow(/ALERT_EMAIL_TO is set but ALERT_SMTP_URL is not/);
    expect(() => parseConfig({ ALERT_MIN_LEVEL: 'debug' })).toThrow(/ALERT_MIN_LEVEL/);
  });

  it('never echoes a sink URL (password, token) in its error', () => {
    for (const [name, value] of [['ALERT_SMTP_URL', 'http://u:hunter2@smtp.example.com'], ['ALERT_WEBHOOK_URL', 'ftp://hooks.example.com/tok3n-abc'], ['ALERT_SLACK_WEBHOOK_URL', 'hooks.slack.com/services/T0/B0/xyzzy']] as const) {
      let message = '';
      try {
        parseConfig({ [name]: value });
      } catch (e) {
        message = String(e);
      }
      expect(message).toMatch(new RegExp(`^ConfigError: Invalid configuration: ${name} must be an? (smtp or smtps|http or https) URL$`));
      for (const secret of ['hunter2', 'tok3n-abc', 'xyzzy']) expect(message).not.toContain(secret);
    }
  });

  it('masks a webhook URL down to scheme, host and port', () => {
    expect(maskSecretUrl('https://hooks.slack.com/services/T0/B0/XXXX')).toBe('https://hooks.slack.com/***');
    expect(maskSecretUrl('http://127.0.0.1:8080/hook?token=abc')).toBe('http://127.0.0.1:8080/***');
    expect(maskSecretUrl('https://u:p@example.com')).toBe('https://***@example.com');
    expect(maskSecretUrl('https://example.com/')).toBe('https://example.com');
    expect(maskSecretUrl('not a url')).toBe('<unparseable url>');
  });
});
