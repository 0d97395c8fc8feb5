// Market-hours rules on the NYSE calendar at chosen instants: a regular day, its pre-open, a weekend and a holiday.
import { describe, expect, it } from 'vitest';
import { marketHoursBlock } from './scheduler-gates.ts';

const at = (iso: string) => new Date(iso);
// 2025-06-04 is a Wednesday (EDT, UTC−4): the open is 13:30Z, the close 20:00Z. 2025-07-04 is a holiday (Friday).
const open = { market_hours: 'open' as const };
const closed = { market_hours: 'closed' as const };
const preOpen = { market_hours: 'pre_open' as const, pre_open_offset: 30 * 60_000 };

describe('marketHoursBlock', () => {
  it('open: only inside the regular session', () => {
    expect(marketHoursBlock(open, at('2025-06-04T14:00:00Z'))).toBeNull();
    expect(marketHoursBlock(open, at('2025-06-04T13:29:59Z'))).toMatch(/market closed .*outside the regular session/);
    expect(marketHoursBlock(open, at('2025-06-04T20:00:00Z'))).toMatch(/market closed/);
    expect(marketHoursBlock(open, at('2025-07-04T14:00:00Z'))).toMatch(/2025-07-04 is not a trading day/);
    expect(marketHoursBlock(open, at('2025-06-07T14:00:00Z'))).toMatch(/not a trading day/); // Saturday
  });
  it('closed: outside the session, weekends and holidays included', () => {
    expect(marketHoursBlock(closed, at('2025-06-04T14:00:00Z'))).toMatch(/market open/);
    expect(marketHoursBlock(closed, at('2025-06-04T21:00:00Z'))).toBeNull();
    expect(marketHoursBlock(closed, at('2025-07-04T14:00:00Z'))).toBeNull();
  });
  it('pre_open: within the offset before the open of a trading day', () => {
    expect(marketHoursBlock(preOpen, at('2025-06-04T13:00:00Z'))).toBeNull(); // 30 min before
    expect(marketHoursBlock(preOpen, at('2025-06-04T13:15:00Z'))).toBeNull();
    expect(marketHoursBlock(preOpen, at('2025-06-04T12:59:00Z'))).toMatch(/too early: the open is 31 min away/);
    expect(marketHoursBlock(preOpen, at('2025-06-04T13:30:00Z'))).toMatch(/past today's open/);
    expect(marketHoursBlock(preOpen, at('2025-07-04T13:15:00Z'))).toMatch(/2025-07-04 is not a trading day/);
    // Winter (EST, UTC−5): the open is 14:30Z.
    expect(marketHoursBlock(preOpen, at('2025-12-03T14:10:00Z'))).toBeNull();
    expect(marketHoursBlock(preOpen, at('2025-12-03T13:10:00Z'))).toMatch(/too early/);
  });
  it('any: always', () => {
    expect(marketHoursBlock({ market_hours: 'any' }, at('2025-07-04T03:00:00Z'))).toBeNull();
  });
});
