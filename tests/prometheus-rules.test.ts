// ops/prometheus.yml and ops/alerts.yml as Prometheus reads them: promtool checks the config and the rules and runs the
// rules' unit tests (ops/alerts.test.yml), which must also catch a rule that no longer fires.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { promtool } from './helpers/prometheus.ts';

const ops = path.resolve(import.meta.dirname, '../ops');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ait-prom-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Rule { alert: string; expr: string; for?: string; labels?: Record<string, string> }
const rules = (parse(fs.readFileSync(path.join(ops, 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

describe('Prometheus configuration and alert rules', () => {
  it('prometheus.yml is valid (with a token file where the compose secret goes) and scrapes the console and the workers', () => {
    for (const f of ['prometheus.yml', 'alerts.yml']) fs.copyFileSync(path.join(ops, f), path.join(tmp, f));
    fs.writeFileSync(path.join(tmp, 'metrics-token'), 'not-a-real-token-0123456789\n');
    const r = promtool(['check', 'config', path.join(tmp, 'prometheus.yml')]);
    expect(r.out).toMatch(/SUCCESS: .*prometheus\.yml is valid/);
    expect(r.code).toBe(0);
    const cfg = parse(fs.readFileSync(path.join(ops, 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; metrics_path?: string; authorization?: { credentials_file?: string } }[] };
    const job = (n: string) => cfg.scrape_configs.find((s) => s.job_name === n);
    expect(job('console')).toMatchObject({ metrics_path: '/api/metrics', authorization: { credentials_file: 'metrics-token' } });
    expect(job('workers')).toMatchObject({ metrics_path: '/metrics', authorization: { credentials_file: 'metrics-token' } });
  });

  it('alerts.yml passes promtool check rules and has the alerts the issue names', () => {
    const r = promtool(['check', 'rules', path.join(ops, 'alerts.yml')]);
    expect(r.code, r.out).toBe(0);
    const names = rules.map((x) => x.alert);
    for (const a of ['HighDrawdown', 'DatabaseDown', 'RedisDown', 'WorkerDown', 'StaleData', 'HighRejectRate', 'Halted', 'RedisEvictionPolicy'])
      expect(names).toContain(a);
    expect(rules.find((x) => x.alert === 'HighDrawdown')).toMatchObject({ expr: 'trading_drawdown > 0.1', for: '5m' });
    for (const x of rules) expect(['warning', 'critical']).toContain(x.labels?.severity);
  });

  it('the unit tests of the rules pass, and fail when a rule is changed', () => {
    const ok = promtool(['test', 'rules', 'alerts.test.yml'], { cwd: ops });
    expect(ok.out).toMatch(/SUCCESS/);
    expect(ok.code).toBe(0);
    // The same tests against a rule that waits for 20 % drawdown: the firing case must now fail.
    const broken = fs.readFileSync(path.join(ops, 'alerts.yml'), 'utf8').replace('expr: trading_drawdown > 0.1', 'expr: trading_drawdown > 0.2');
    fs.writeFileSync(path.join(tmp, 'alerts.yml'), broken);
    fs.copyFileSync(path.join(ops, 'alerts.test.yml'), path.join(tmp, 'alerts.test.yml'));
    const bad = promtool(['test', 'rules', 'alerts.test.yml'], { cwd: tmp });
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/alertname: HighDrawdown/);
  });

  it('every alert of alerts.yml has a unit test that makes it fire', () => {
    const tests = fs.readFileSync(path.join(ops, 'alerts.test.yml'), 'utf8');
    const doc = parse(tests) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const firing = new Set(doc.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length).map((a) => a.alertname)));
    const quiet = new Set(doc.tests.flatMap((t) => t.alert_rule_test.filter((a) => !a.exp_alerts.length).map((a) => a.alertname)));
    for (const x of rules) {
      expect(firing.has(x.alert), `${x.alert} is shown firing`).toBe(true);
      expect(quiet.has(x.alert), `${x.alert} is shown not firing`).toBe(true);
    }
  });
});
