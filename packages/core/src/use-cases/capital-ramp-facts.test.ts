// Readiness as the ramp reads it from the readiness report: green only when the report is ready; else the checks
// that are not pass, each with its status and summary, so the hold's reason says what to fix.
import { describe, expect, it } from 'vitest';
import { readinessFromReport } from './capital-ramp-facts.ts';

describe('readinessFromReport', () => {
  it('is green only when the report is ready, and names what is not', () => {
    expect(readinessFromReport({ ready: true, items: [{ id: 'apis.broker', status: 'pass', summary: 'ok' }] })).toEqual({ green: true, detail: 'every readiness check passed and is fresh' });
    expect(readinessFromReport({
      ready: false,
      items: [
        { id: 'apis.broker', status: 'pass', summary: 'ok' },
        { id: 'paper.record', status: 'stale', summary: 'ran 3 days ago' },
        { id: 'db.backup-restore', status: 'fail', summary: 'no backup in 48 h' },
      ],
    })).toEqual({ green: false, detail: 'paper.record stale: ran 3 days ago; db.backup-restore fail: no backup in 48 h' });
  });
});
