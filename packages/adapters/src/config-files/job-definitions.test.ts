// ops/job-definitions.yaml: the repository's file loads; a bad file is refused whole with file:line:column and reason.
import { describe, expect, it } from 'vitest';
import { runOrder } from '@ai-trader/contracts';
import { loadJobDefinitions, parseJobDefinitions } from './job-definitions.ts';
import { ConfigFileError } from './yaml-config.ts';

const good = `jobs:
  partitions:
    description: partitions ahead
    queue: maintenance.partitions
    payload: { daysAhead: 10 }
  backfill:
    description: last day
    cron: "0 7 * * 1-5"
    market_hours: pre_open
    pre_open_offset: 3h
    queue: backfill.scheduled
    depends_on: [partitions]
    retries: { attempts: 3, backoff: { type: fixed, delay: 30s } }
    timeout: 10m
`;

function problems(text: string): string[] {
  try {
    parseJobDefinitions(text, 'ops/job-definitions.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigFileError);
    return (e as Error).message.split('\n');
  }
  throw new Error('the file was accepted');
}

describe('job definitions', () => {
  it('reads durations, defaults and catalog payload defaults', () => {
    const d = parseJobDefinitions(good, 'f.yaml');
    expect(d.backfill).toMatchObject({
      cron: '0 7 * * 1-5', tz: 'America/New_York', pre_open_offset: 3 * 3_600_000, timeout: 600_000, concurrency: 1, trading: false, enabled: true,
      retries: { attempts: 3, backoff: { type: 'fixed', delay: 30_000 } }, payload: {},
    });
    expect(d.partitions).toMatchObject({ market_hours: 'any', timeout: 30 * 60_000, retries: { attempts: 1, backoff: { type: 'exponential', delay: 60_000 } } });
    expect(runOrder(d, 'backfill')).toEqual(['partitions', 'backfill']);
  });

  it('the repository file loads, and data_backfill runs after partitions_ahead', () => {
    const { definitions } = loadJobDefinitions();
    expect(Object.keys(definitions)).toEqual(expect.arrayContaining(['data_backfill', 'partitions_ahead', 'data_validation', 'features', 'scanner', 'reconciliation', 'eod_snapshot', 'archive', 'vacuum_analyze', 'backup']));
    expect(runOrder(definitions, 'scanner')).toEqual(['partitions_ahead', 'data_backfill', 'features', 'scanner_layer0', 'scanner']);
  });

  it('names line and reason: a bad interval, an unknown queue, a payload the queue refuses', () => {
    expect(problems(good.replace('timeout: 10m', 'timeout: ten minutes'))).toEqual([
      'ops/job-definitions.yaml:14:14: jobs.backfill.timeout: timeout: "ten minutes" is not a duration like 30s, 15m, 1h or 2d',
    ]);
    expect(problems(good.replace('queue: maintenance.partitions', 'queue: maintenance.nope'))[0]).toMatch(/^ops\/job-definitions\.yaml:4:12: jobs\.partitions\.queue: must be a queue of the job catalog: /);
    expect(problems(good.replace('daysAhead: 10', 'daysAhead: -1'))).toEqual([
      'ops/job-definitions.yaml:5:27: jobs.partitions.payload.daysAhead: Too small: expected number to be >=0 (payload of maintenance.partitions)',
    ]);
  });

  it('names line and reason: a bad cron, both cron and every, pre_open without its offset, an unknown key', () => {
    expect(problems(good.replace('"0 7 * * 1-5"', '"0 25 * * 1-5"'))[0]).toMatch(/^ops\/job-definitions\.yaml:8:11: jobs\.backfill\.cron: not a cron expression: .*25/);
    expect(problems(good.replace('"0 7 * * 1-5"', '"0 7 * *"'))).toEqual(['ops/job-definitions.yaml:8:11: jobs.backfill.cron: must have 5 fields: minute hour day-of-month month day-of-week']);
    expect(problems(good.replace('    cron: "0 7 * * 1-5"\n', '    cron: "0 7 * * 1-5"\n    every: 15m\n'))).toEqual(['ops/job-definitions.yaml:9:12: jobs.backfill.every: give cron or every, not both']);
    expect(problems(good.replace('    pre_open_offset: 3h\n', ''))).toEqual(['ops/job-definitions.yaml:7:5: jobs.backfill.pre_open_offset: market_hours pre_open needs pre_open_offset (e.g. 30m)']);
    expect(problems(good.replace('    timeout: 10m', '    timout: 10m'))).toEqual(['ops/job-definitions.yaml:14:5: jobs.backfill.timout: Unrecognized key: "timout"']);
    expect(problems(good.replace('tz', 'tz').replace('    queue: backfill.scheduled', '    tz: Mars/Olympus\n    queue: backfill.scheduled'))).toEqual(['ops/job-definitions.yaml:11:9: jobs.backfill.tz: is not a time zone (e.g. America/New_York)']);
  });

  it('names line and reason: an unknown dependency, a cycle, and YAML that does not parse', () => {
    expect(problems(good.replace('depends_on: [partitions]', 'depends_on: [partitons]'))).toEqual(['ops/job-definitions.yaml:12:18: jobs.backfill.depends_on.0: no job named partitons in this file']);
    const cyclic = good.replace('    payload: { daysAhead: 10 }\n', '    payload: { daysAhead: 10 }\n    depends_on: [backfill]\n');
    expect(problems(cyclic)).toEqual(['ops/job-definitions.yaml:6:17: jobs.partitions.depends_on: dependency cycle: partitions → backfill → partitions']);
    expect(problems('jobs:\n  a: [oops\n')[0]).toMatch(/^ops\/job-definitions\.yaml:\d+:\d+: not valid YAML: /);
    expect(problems('jobs:\n  Bad-Name:\n    description: x\n    queue: maintenance.backup\n')[0]).toMatch(/^ops\/job-definitions\.yaml:3:5: jobs\.Bad-Name: .*a job name is lower case/);
  });
});
