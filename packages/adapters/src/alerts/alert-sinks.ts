// The alert sinks the configuration names: generic webhook, Slack-compatible webhook, SMTP e-mail (none: []).
import type { TConfig } from '@ai-trader/contracts';
import type { AlertSink } from '@ai-trader/core';
import { EmailAlertSink } from './email-sink.ts';
import { WebhookAlertSink } from './webhook-sinks.ts';

export function createAlertSinks(config: TConfig): AlertSink[] {
  const sinks: AlertSink[] = [];
  const timeout = config.ALERT_SINK_TIMEOUT_MS;
  if (config.ALERT_WEBHOOK_URL) sinks.push(new WebhookAlertSink('webhook', config.ALERT_WEBHOOK_URL, timeout));
  if (config.ALERT_SLACK_WEBHOOK_URL) sinks.push(new WebhookAlertSink('slack', config.ALERT_SLACK_WEBHOOK_URL, timeout));
  if (config.ALERT_SMTP_URL) sinks.push(new EmailAlertSink(config.ALERT_SMTP_URL, config.ALERT_EMAIL_FROM!, config.ALERT_EMAIL_TO!, timeout));
  return sinks;
}
