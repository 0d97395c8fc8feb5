import type { AlertMessage } from '@ai-trader/core';
import { describe, expect, it } from 'vitest';
import { emailContent, slackBody, webhookBody } from './alert-format.ts';

const alert: AlertMessage = {
  alertId: '6f1c1d36-4a0e-4f7e-9a39-2f3b8c1d2e3f', key: 'reconcile.drift', level: 'warning', source: 'reconciliation',
  message: 'SPY: ours 10, broker 12 <held>', count: 3, at: '2025-01-02T15:00:00.000Z', atNewYork: '2025-01-02 10:00:00 EST',
  details: { drift: [{ symbol: 'SPY', ours: '10', broker: '12' }] },
};

describe('alert formats', () => {
  it('generic webhook: every field, times in UTC and New York', () => {
    expect(webhookBody(alert)).toEqual({
      system: 'ai-trader', id: alert.alertId, key: 'reconcile.drift', level: 'warning', source: 'reconciliation', message: alert.message,
      count: 3, at: '2025-01-02T15:00:00.000Z', atNewYork: '2025-01-02 10:00:00 EST', details: alert.details,
    });
  });

  it('Slack: a text for notifications, blocks with mrkdwn escaped', () => {
    const s = slackBody(alert);
    expect(s.text).toBe('[WARNING] SPY: ours 10, broker 12 <held> — source reconciliation, 2025-01-02T15:00:00.000Z UTC · 2025-01-02 10:00:00 EST New York (raised 3 times)');
    expect(s.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: ':warning: *WARNING* SPY: ours 10, broker 12 &lt;held&gt;' } });
    expect(JSON.stringify(s.blocks[2])).toContain('\\"symbol\\": \\"SPY\\"');
  });

  it('e-mail: subject with the level, body with every field; a long message is cut in the subject only', () => {
    const m = emailContent(alert);
    expect(m.subject).toBe('ai-trader [WARNING] SPY: ours 10, broker 12 <held>');
    expect(m.text).toContain('Level:     WARNING\nSource:    reconciliation\nKey:       reconcile.drift\nTime UTC:  2025-01-02T15:00:00.000Z\nNew York:  2025-01-02 10:00:00 EST\nRaised:    3 times');
    const long = emailContent({ ...alert, message: `line one\n${'x'.repeat(300)}`, details: null });
    expect(long.subject).toHaveLength('ai-trader '.length + 150);
    expect(long.subject).not.toContain('\n');
    expect(long.text.startsWith(`line one\n${'x'.repeat(300)}\n`)).toBe(true);
    expect(long.text).not.toContain('Details:');
  });
});
