'use client';
// "Would this order pass risk now?" — the same facts and checks as a real decision, nothing written. Anyone
// signed in may ask; the answer names the reason code when it would be denied.
import type { TWhatIfAnswer, TWhatIfInput } from '@ai-trader/contracts';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { money, time } from '@/lib/format';
import { useTRPCClient } from '@/lib/trpc';

/** What the server said was wrong: each invalid field when the input failed validation, else the message. */
function problems(e: { message: string; data?: { validation?: string[] | null } | null } | null): string[] {
  if (!e) return [];
  return e.data?.validation?.length ? e.data.validation : [e.message];
}

export function WhatIf() {
  const client = useTRPCClient();
  const [symbol, setSymbol] = useState('');
  const [side, setSide] = useState<'BUY' | 'SELL'>('BUY');
  const [price, setPrice] = useState('');
  const [notional, setNotional] = useState('');
  const [strategy, setStrategy] = useState('');
  const check = useMutation({ mutationFn: (i: TWhatIfInput) => client.risk.whatIf.query(i) });
  const errors = problems(check.error as Parameters<typeof problems>[0]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    check.mutate({
      symbol: symbol.trim().toUpperCase(), side,
      ...(price.trim() ? { price: price.trim() } : {}), ...(notional.trim() ? { notional: notional.trim() } : {}), ...(strategy.trim() ? { strategy: strategy.trim() } : {}),
    });
  };

  return (
    <section aria-labelledby="whatif-h">
      <h2 id="whatif-h">What-if order check</h2>
      <form className="whatif-form" aria-label="What-if order check" onSubmit={submit} noValidate>
        <label>
          Symbol
          <input name="symbol" value={symbol} onChange={(e) => setSymbol(e.target.value)} placeholder="SPY" autoComplete="off" required />
        </label>
        <label>
          Side
          <select name="side" value={side} onChange={(e) => setSide(e.target.value as 'BUY' | 'SELL')}>
            <option value="BUY">BUY</option>
            <option value="SELL">SELL</option>
          </select>
        </label>
        <label>
          Price (optional)
          <input name="price" inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} placeholder="last price" autoComplete="off" />
        </label>
        <label>
          Notional (optional)
          <input name="notional" inputMode="decimal" value={notional} onChange={(e) => setNotional(e.target.value)} placeholder="ORDER_NOTIONAL" autoComplete="off" />
        </label>
        <label>
          Strategy (optional)
          <input name="strategy" value={strategy} onChange={(e) => setStrategy(e.target.value)} placeholder="duplicate check" autoComplete="off" />
        </label>
        <button type="submit" disabled={check.isPending}>{check.isPending ? 'Checking…' : 'Check order'}</button>
      </form>
      <div aria-live="polite">
        {errors.length > 0 && (
          <ul role="alert" className="error" aria-label="Check not run">
            {errors.map((m) => <li key={m}>{m}</li>)}
          </ul>
        )}
        {check.data && !check.error && <Answer a={check.data} asked={check.variables!} />}
      </div>
    </section>
  );
}

function Answer({ a, asked }: { a: TWhatIfAnswer; asked: TWhatIfInput }) {
  const f = a.facts;
  return (
    <div role="status" className={`whatif-answer ${a.wouldPass ? 'whatif-pass' : 'whatif-deny'}`} data-testid="whatif-result" data-pass={String(a.wouldPass)} data-code={a.code ?? ''}>
      <p>
        <strong>{asked.side} {asked.symbol}: {a.wouldPass ? 'would pass' : <>denied — <code>{a.code}</code></>}</strong> · {a.message}
      </p>
      <dl className="facts">
        <dt>State</dt><dd>{f.state}</dd>
        <dt>Market</dt><dd>{f.marketOpen ? 'open' : 'closed'}{a.marketTime ? ` (simulated market at ${time(a.marketTime)})` : ' (wall clock)'}</dd>
        <dt>Price</dt><dd>{money(f.price)} (last {money(f.lastPrice)}{f.stale ? ', stale' : ''})</dd>
        <dt>Position</dt><dd>{f.positionQty} sh</dd>
        <dt>Buying power</dt><dd>{money(f.buyingPower)}</dd>
        <dt>Gross exposure</dt><dd>{money(f.grossExposure)}</dd>
        <dt>Working orders</dt><dd>{f.openOrders}</dd>
        <dt>Orders last minute</dt><dd>{f.ordersLastMinute}</dd>
        {a.qty && <><dt>Quantity</dt><dd>{a.qty} sh</dd></>}
      </dl>
    </div>
  );
}
