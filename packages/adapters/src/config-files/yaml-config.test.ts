import { describe, expect, it } from 'vitest';
import { ZStrategiesFile } from '@ai-trader/contracts';
import { ConfigFileError, parseYamlConfig } from './yaml-config.ts';

const good = `strategies:
  - name: rsi-dip
    kind: rsi-reversion
    enabled: true
    symbols: [SPY]
    params: { rsiBuyBelow: 25 }
    sizing: { mode: pct_equity, pct: 5 }
`;

describe('parseYamlConfig', () => {
  it('validates and fills defaults', () => {
    const f = parseYamlConfig(good, 'ops/strategies.yaml', ZStrategiesFile);
    expect(f.strategies[0]).toMatchObject({ name: 'rsi-dip', timeframe: '5m', params: { rsiBuyBelow: 25, rsiSellAbove: 70, trendFilter: true }, layer: null });
  });
  it('names file, line, column and reason for a schema problem', () => {
    const bad = good.replace('rsiBuyBelow: 25', 'rsiBuyBelow: 75').replace('pct: 5', 'pct: 500');
    const e = (() => {
      try {
        parseYamlConfig(bad, 'ops/strategies.yaml', ZStrategiesFile);
      } catch (x) {
        return x as ConfigFileError;
      }
    })()!;
    expect(e).toBeInstanceOf(ConfigFileError);
    expect(e.message.split('\n')).toEqual([
      'ops/strategies.yaml:6:28: strategies.0.params.rsiBuyBelow: Too big: expected number to be <=50',
      'ops/strategies.yaml:7:38: strategies.0.sizing.pct: Too big: expected number to be <=100',
    ]);
  });
  it('names the line of a YAML syntax error and of a duplicate key', () => {
    expect(() => parseYamlConfig('strategies:\n  - name: [oops\n', 'f.yaml', ZStrategiesFile)).toThrow(/^f\.yaml:\d+:\d+: /);
    expect(() => parseYamlConfig('strategies: []\nstrategies: []\n', 'f.yaml', ZStrategiesFile)).toThrow(/^f\.yaml:2:1: not valid YAML: Map keys must be unique/);
  });
});
