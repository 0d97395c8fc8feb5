// How an alert reads at each sink: a JSON document for generic webhooks, Slack's { text, blocks }, and an e-mail's
// subject and plain-text body. Every form carries the level, message, source, key and the time in UTC and New York.
import type { AlertMessage } from '@ai-trader/core';

const LEVEL_WORD = { info: 'INFO', warning: 'WARNING', critical: 'CRITICAL' } as const;
const SLACK_EMOJI = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' } as const;
/** Details are context, not the message: capped so a large one (a drift report) cannot swell a chat or a mail. */
const DETAILS_MAX_CHARS = 2000;

export function alertDetailsText(a: AlertMessage): string | null {
  if (!a.details || !Object.keys(a.details).length) return null;
  const s = JSON.stringify(a.details, null, 2);
  return s.length > DETAILS_MAX_CHARS ? `${s.slice(0, DETAILS_MAX_CHARS)}\n… (${s.length - DETAILS_MAX_CHARS} more characters)` : s;
}

/** The generic webhook's JSON body (POST, application/json). */
export function webhookBody(a: AlertMessage) {
  return {
    system: 'ai-trader',
    id: a.alertId,
    key: a.key,
    level: a.level,
    source: a.source,
    message: a.message,
    count: a.count,
    at: a.at,
    atNewYork: a.atNewYork,
    details: a.details ?? null,
  };
}

/** One line for chats and subjects: "[CRITICAL] message". */
export const alertHeadline = (a: AlertMessage) => `[${LEVEL_WORD[a.level]}] ${a.message}`;

const timesLine = (a: AlertMessage) => `${a.at} UTC · ${a.atNewYork} New York`;

/** Slack-compatible incoming webhook: `text` (notifications, clients without blocks) and Block Kit blocks. */
export function slackBody(a: AlertMessage) {
  const repeat = a.count > 1 ? ` (raised ${a.count} times)` : '';
  const details = alertDetailsText(a);
  return {
    text: `${alertHeadline(a)} — source ${a.source}, ${timesLine(a)}${repeat}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${SLACK_EMOJI[a.level]} *${LEVEL_WORD[a.level]}* ${escapeMrkdwn(a.message)}` } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`source ${a.source} · key ${a.key} · ${timesLine(a)}${repeat}`) }],
      },
      ...(details ? [{ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${escapeMrkdwn(details)}\`\`\`` } }] : []),
    ],
  };
}

/** Slack's mrkdwn treats &, < and > as control characters. */
const escapeMrkdwn = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function emailContent(a: AlertMessage): { subject: string; text: string } {
  const headline = alertHeadline(a).replace(/[\r\n]+/g, ' ');
  const details = alertDetailsText(a);
  const text = [
    a.message,
    '',
    `Level:     ${LEVEL_WORD[a.level]}`,
    `Source:    ${a.source}`,
    `Key:       ${a.key}`,
    `Time UTC:  ${a.at}`,
    `New York:  ${a.atNewYork}`,
    `Raised:    ${a.count === 1 ? 'once' : `${a.count} times`}`,
    ...(details ? ['', 'Details:', details] : []),
    '',
    '— ai-trader',
  ].join('\n');
  return { subject: `ai-trader ${headline.length > 150 ? `${headline.slice(0, 149)}…` : headline}`, text };
}
