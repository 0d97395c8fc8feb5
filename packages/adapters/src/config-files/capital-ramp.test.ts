// ops/capital-ramp.yaml: the repository's file loads; a malformed file, or a step raising a cap by more than
// max_step_factor, is refused whole with file:line:column and the reason.
import { describe, expect, it } from 'vitest';
import { loadCapitalRamp, parseCapitalRamp } from './capital-ramp.ts';
import { ConfigFileError } from './yaml-config.ts';

const good = `enabled: true
max_step_factor: 2
steps:
  - name: one
    gross_exposure_pct_of_equity: 1
    order_notional_pct_of_equity: 0.5
    min_trading_days: 5
  - name: two
    gross_exposure_pct_of_equity: 2
    order_notional_pct_of_equity: 1
    min_trading_days: 5
`;

function problems(text: string): string[] {
  try {
    parseCapitalRamp(text, 'ops/capital-ramp.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigFileError);
    return (e as Error).message.split('\n');
  }
  throw new Error('the file was accepted');
}

describe('capital ramp file', () => {
  it('reads the steps, and defaults to off with factor 2', () => {
    expect(parseCapitalRamp(good, 'f.yaml')).toEqual({
      enabled: true, max_step_factor: 2,
      steps: [
        { name: 'one', gross_exposure_pct_of_equity: 1, order_notional_pct_of_equity: 0.5, min_trading_days: 5 },
        { name: 'two', gross_exposure_pct_of_equity: 2, order_notional_pct_of_equity: 1, min_trading_days: 5 },
      ],
    });
    const minimal = parseCapitalRamp('steps:\n  - { name: a, gross_exposure_pct_of_equity: 3, order_notional_pct_of_equity: 1, min_trading_days: 1 }\n', 'f.yaml');
    expect(minimal).toMatchObject({ enabled: false, max_step_factor: 2 });
  });

  it('loads the repository file (off, each step within its factor)', () => {
    const { ramp } = loadCapitalRamp();
    expect(ramp.enabled).toBe(false);
    expect(ramp.steps.length).toBeGreaterThan(1);
  });

  it('refuses a step that raises exposure by more than max_step_factor, naming its line', () => {
    const bad = good.replace('gross_exposure_pct_of_equity: 2', 'gross_exposure_pct_of_equity: 5');
    expect(problems(bad)).toEqual(['ops/capital-ramp.yaml:9:35: steps.1.gross_exposure_pct_of_equity: step "two" raises gross_exposure_pct_of_equity from 1 to 5 (×5), more than max_step_factor 2']);
    const orders = good.replace('max_step_factor: 2', 'max_step_factor: 1.5');
    expect(problems(orders)).toEqual([
      'ops/capital-ramp.yaml:9:35: steps.1.gross_exposure_pct_of_equity: step "two" raises gross_exposure_pct_of_equity from 1 to 2 (×2), more than max_step_factor 1.5',
      'ops/capital-ramp.yaml:10:35: steps.1.order_notional_pct_of_equity: step "two" raises order_notional_pct_of_equity from 0.5 to 1 (×2), more than max_step_factor 1.5',
    ]);
  });

  it('refuses a malformed file with the line and the reason', () => {
    expect(problems(good.replace('min_trading_days: 5\n  - name: two', 'min_trading_days: 5\n  - name: two\n   bad indent: [')).join('\n')).toMatch(/^ops\/capital-ramp\.yaml:\d+:\d+: not valid YAML/);
    expect(problems(good.replace('order_notional_pct_of_equity: 1\n', 'order_notional_pct_of_equity: lots\n'))).toEqual([
      'ops/capital-ramp.yaml:10:35: steps.1.order_notional_pct_of_equity: order_notional_pct_of_equity must be a number (percent of equity)',
    ]);
    expect(problems(good.replace('min_trading_days: 5\n  - name: two', 'min_trading_days: 5\n    max_days: 3\n  - name: two'))[0]).toMatch(/^ops\/capital-ramp\.yaml:8:5: steps\.0\.max_days: /);
    expect(problems(good.replace('name: two', 'name: one'))).toEqual(['ops/capital-ramp.yaml:8:11: steps.1.name: step name "one" is used twice']);
    expect(problems(good.replace('order_notional_pct_of_equity: 0.5', 'order_notional_pct_of_equity: 2'))[0]).toContain('steps.0.order_notional_pct_of_equity: one order (2 %) cannot be more than the gross exposure cap (1 %)');
    expect(problems('enabled: true\nsteps: []\n')).toEqual(['ops/capital-ramp.yaml:2:8: steps: steps: give at least one step']);
  });

  it('a missing file is refused with its name', () => {
    expect(() => loadCapitalRamp('/nonexistent/capital-ramp.yaml')).toThrow('/nonexistent/capital-ramp.yaml:1:1: no such file');
  });
});
