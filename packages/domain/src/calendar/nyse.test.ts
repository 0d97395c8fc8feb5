import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inRegularSession, isTradingDay, regularSession, toEt } from './nyse.ts';

describe('NYSE calendar', () => {
  it('knows weekends, holidays and early closes', () => {
    expect(isTradingDay('2025-07-04')).toBe(false);
    expect(isTradingDay('2025-07-05')).toBe(false);
    expect(isTradingDay('2025-01-09')).toBe(false); // national day of mourning
    expect(regularSession('2025-07-03')).toEqual({ open: 570, close: 780 });
    expect(regularSession('2025-07-07')).toEqual({ open: 570, close: 960 });
  });

  it('judges the session in New York time across daylight saving', () => {
    expect(toEt(new Date('2025-06-04T13:30:00Z'))).toMatchObject({ date: '2025-06-04', minutes: 570 });
    expect(inRegularSession(new Date('2025-06-04T13:30:00Z'), 5)).toBe(true); // 09:30 EDT
    expect(inRegularSession(new Date('2025-06-04T19:55:00Z'), 5)).toBe(true); // 15:55 EDT
    expect(inRegularSession(new Date('2025-06-04T20:00:00Z'), 5)).toBe(false);
    expect(inRegularSession(new Date('2025-12-01T14:30:00Z'), 5)).toBe(true); // 09:30 EST
    expect(inRegularSession(new Date('2025-12-01T13:30:00Z'), 5)).toBe(false); // 08:30 EST
    expect(inRegularSession(new Date('2025-07-03T16:55:00Z'), 5)).toBe(true); // 12:55, early close day
    expect(inRegularSession(new Date('2025-07-03T17:00:00Z'), 5)).toBe(false);
  });

  it('refuses dates outside the tables rather than guessing', () => {
    expect(() => isTradingDay('2031-01-02')).toThrow(/outside/);
  });

  it('reproduces the trading days of the real daily bars (2024-04-01 .. 2026-03-31)', () => {
    const file = path.resolve(import.meta.dirname, '../../../../../shared/data/bars/1d/SPY.csv');
    const days = readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.slice(0, 10));
    const expected: string[] = [];
    for (let d = new Date('2024-04-01T12:00:00Z'); d <= new Date('2026-03-31T12:00:00Z'); d.setUTCDate(d.getUTCDate() + 1)) {
      const s = d.toISOString().slice(0, 10);
      if (isTradingDay(s)) expected.push(s);
    }
    expect(days).toEqual(expected);
  });
});

describe('toEt', () => {
  const intl = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short', hourCycle: 'h23',
  });
  const byIntl = (t: number) => {
    const p = Object.fromEntries(intl.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
    return { date: `${p.year}-${p.month}-${p.day}`, minutes: Number(p.hour) * 60 + Number(p.minute), weekday: p.weekday };
  };

  it('agrees with the IANA zone (Intl) every 307 minutes from 2008 to 2035 and around every DST switch', () => {
    const mismatches: string[] = [];
    const check = (t: number) => {
      const a = toEt(new Date(t)), b = byIntl(t);
      if (a.date !== b.date || a.minutes !== b.minutes || a.weekday !== b.weekday) mismatches.push(`${new Date(t).toISOString()}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    };
    for (let t = Date.UTC(2008, 0, 1); t < Date.UTC(2035, 0, 1); t += 307 * 60_000) check(t);
    for (let y = 2008; y < 2035; y++) {
      for (const month of [2, 10]) {
        for (let d = 1; d <= 14; d++) for (let m = 0; m < 24 * 60; m += 30) check(Date.UTC(y, month, d, 0, 0) + m * 60_000);
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});

