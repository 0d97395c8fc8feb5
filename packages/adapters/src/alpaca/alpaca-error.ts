// AlpacaError, the one error the Alpaca adapter throws, and how Alpaca's refusals (HTTP status + message) are
// classified into kinds a person can act on; plus the secret scrubbing and body snippets its messages use.
export type AlpacaErrorKind =
  | 'insufficient_buying_power' // the account cannot pay for the order
  | 'not_tradable' // the asset cannot be traded (inactive, not tradable, unknown symbol, not shortable)
  | 'market_closed' // refused because of the session (Alpaca queues plain day orders instead)
  | 'position_limit' // the order would take a position beyond a limit
  | 'rejected' // any other refusal of the request (bad parameters, trading suspended, wash trade, …)
  | 'rate_limited' // 429 still answered after every retry, or a wait too long to sit out
  | 'broker_down' // 5xx or network failure still happening after every retry
  | 'not_found' // 404 on a lookup
  | 'auth' // 401/403 for the keys, or stream authorization refused; retrying cannot help
  | 'bad_response'; // a 2xx (or stream message) whose body is not the documented shape

export class AlpacaError extends Error {
  constructor(
    readonly kind: AlpacaErrorKind,
    message: string,
    readonly detail: { status?: number; code?: number; brokerMessage?: string; method?: string; path?: string } = {},
  ) {
    super(message);
    this.name = 'AlpacaError';
  }

  /** Refusals of an order (an OrderRejected with a cause), as opposed to failures to reach or understand Alpaca. */
  get isOrderRefusal(): boolean {
    return ['insufficient_buying_power', 'not_tradable', 'market_closed', 'position_limit', 'rejected'].includes(this.kind);
  }
}

const REFUSALS: Array<[AlpacaErrorKind, RegExp]> = [
  ['insufficient_buying_power', /insufficient (day ?trading |options |regt? )?buying power|not enough (buying power|cash|funds)|insufficient (funds|balance)/i],
  ['not_tradable', /not tradable|cannot be traded|is not active|inactive asset|asset .*not found|not fractionable|not shortable|cannot be sold short|not (easy|available) to borrow/i],
  ['market_closed', /market (is )?(currently )?closed|outside (of )?(regular |the )?(market|trading) hours|market hours|not (currently )?open for trading/i],
  ['position_limit', /position limit|max(imum)? (number of )?(open )?positions?|exceeds? (the )?(max(imum)? )?position|too many (open )?positions/i],
];
// Only a bare "forbidden" or a word about the keys: a 403 that explains itself is a refusal of the order, not of us.
const AUTH_403 = /^forbidden\.?$|unauthori[sz]ed|api key|access key/i;

/** The kind of a refusal, from its HTTP status and Alpaca's message (codes are shared by unrelated refusals). */
export function classifyRefusal(status: number, message: string): AlpacaErrorKind {
  if (status === 401) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'broker_down';
  for (const [kind, re] of REFUSALS) if (re.test(message)) return kind;
  if (status === 403 && AUTH_403.test(message.trim())) return 'auth';
  return 'rejected';
}

/** Alpaca's answer when a client_order_id was used before: the order exists, this request is a repeat. */
export function isDuplicateClientOrderId(status: number, message: string): boolean {
  return status === 422 && /client[_ ]order[_ ]id/i.test(message) && /unique|already|duplicate|exists/i.test(message);
}

/** Replaces the key id and secret wherever they appear (servers and proxies do echo request headers back). */
export function scrubSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

/** The first 160 characters of a body, on one line, for a message. */
export function snippet(body: string): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > 160 ? `${one.slice(0, 160)}…` : one;
}
