// Alert delivery: the payload of an `alerts.deliver` job (a snapshot of one raise, so a later bump of the same
// alert does not change what this delivery says), and what one sink made of it.
import { z } from 'zod';

export const ZAlertLevel = z.enum(['info', 'warning', 'critical']);
export type TAlertLevel = z.infer<typeof ZAlertLevel>;
export const ALERT_LEVEL_RANK: Record<TAlertLevel, number> = { info: 0, warning: 1, critical: 2 };

/** Where alerts go besides the console: a generic JSON webhook, a Slack-compatible webhook, e-mail over SMTP. */
export const ZAlertSinkName = z.enum(['webhook', 'slack', 'email']);
export type TAlertSinkName = z.infer<typeof ZAlertSinkName>;
export const ALERT_SINK_NAMES = ZAlertSinkName.options;

export const ZAlertDelivery = z.object({
  alertId: z.uuid(),
  key: z.string().min(1),
  level: ZAlertLevel,
  source: z.string().min(1),
  message: z.string().min(1),
  /** Which raise of the open alert this is (1 = the one that opened it); with alertId, the delivery's natural id. */
  count: z.number().int().min(1),
  /** When it was raised (UTC). */
  at: z.iso.datetime(),
  details: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type TAlertDelivery = z.infer<typeof ZAlertDelivery>;

/** One sink's outcome for one delivery. `target` is where it went with every token and password masked. */
export const ZAlertSinkResult = z.object({
  sink: ZAlertSinkName,
  target: z.string().nullable(),
  status: z.enum(['sent', 'failed', 'not_configured']),
  attempts: z.number().int().min(0),
  at: z.iso.datetime().nullable(),
  /** Why it failed, in words without secrets. */
  error: z.string().nullable(),
  /** The workers will try again (queued job with backoff); false once sent, or for a refusal retrying cannot fix. */
  willRetry: z.boolean(),
});
export type TAlertSinkResult = z.infer<typeof ZAlertSinkResult>;

/** `ai-trader alert send`: the alert raised on the console and each sink's result. */
export const ZAlertSendResult = z.object({
  alert: z.object({
    id: z.string(), key: z.string(), level: ZAlertLevel, source: z.string(), opened: z.boolean(), count: z.number().int(),
    /** Stored for the console (Postgres), or not — the sinks are tried either way. */
    console: z.enum(['raised', 'failed']),
    consoleError: z.string().nullable(),
  }),
  sinks: z.array(ZAlertSinkResult),
  /** At least one sink is configured and none of them took the alert. */
  allFailed: z.boolean(),
  /** Neither the console nor any sink has it. */
  nobodyTookIt: z.boolean(),
});
export type TAlertSendResult = z.infer<typeof ZAlertSendResult>;
