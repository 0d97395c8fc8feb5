// READINESS_WINDOWS: check=duration pairs, each problem named with its entry; a bad value stops start-up naming the variable.
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';
import { parseReadinessWindows, READINESS_CHECK_IDS, ZReadinessCheckId } from './readiness.ts';

describe('readiness windows', () => {
  it('reads minutes, hours and days per check', () => {
    expect(parseReadinessWindows('paper.record=26h, db.backup-restore=8d,infra.prometheus=30m')).toEqual({
      windows: { 'paper.record': 26 * 3600, 'db.backup-restore': 8 * 86_400, 'infra.prometheus': 1800 },
    });
    expect(parseReadinessWindows('')).toEqual({ windows: {} });
  });

  it('names the entry that is wrong', () => {
    expect(parseReadinessWindows('paper.record=26h,papers=1d')).toEqual({ error: `entry 2 (papers=1d): unknown check 'papers' (one of ${READINESS_CHECK_IDS.join(', ')})` });
    expect(parseReadinessWindows('paper.record=26')).toEqual({ error: 'entry 1 (paper.record=26): the window must be a duration like 30m, 26h or 8d' });
    expect(parseReadinessWindows('paper.record=0d')).toEqual({ error: 'entry 1 (paper.record=0d): the window must be a duration like 30m, 26h or 8d' });
  });

  it('a bad READINESS_WINDOWS stops start-up naming it', () => {
    expect(() => parseConfig({ READINESS_WINDOWS: 'paper.record=soon' })).toThrow(/READINESS_WINDOWS.*entry 1 \(paper\.record=soon\): the window must be a duration/);
    expect(parseConfig({ READINESS_WINDOWS: 'paper.record=2d' }).READINESS_WINDOWS).toBe('paper.record=2d');
  });

  it('knows every check once', () => {
    expect(new Set(READINESS_CHECK_IDS).size).toBe(READINESS_CHECK_IDS.length);
    expect(ZReadinessCheckId.safeParse('code.no-test-code').success).toBe(true);
  });
});
