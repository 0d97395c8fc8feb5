// ops/capital-ramp.yaml: the capital ramp's steps, checked whole on load (schema, and no step raising a cap by more
// than max_step_factor over the one before) and refused with file:line:column and the reason.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZCapitalRampFile, type TCapitalRampFile } from '@ai-trader/contracts';
import { ConfigFileError, parseYamlConfig } from './yaml-config.ts';

export const DEFAULT_CAPITAL_RAMP_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../ops/capital-ramp.yaml');

export function parseCapitalRamp(text: string, file: string): TCapitalRampFile {
  return parseYamlConfig(text, file, ZCapitalRampFile);
}

/** Reads the file (default: ops/capital-ramp.yaml of this repository); a missing file is a ConfigFileError too. */
export function loadCapitalRamp(file: string = DEFAULT_CAPITAL_RAMP_FILE): { file: string; ramp: TCapitalRampFile } {
  if (!existsSync(file)) throw new ConfigFileError(file, [{ line: 1, column: 1, message: 'no such file' }]);
  return { file, ramp: parseCapitalRamp(readFileSync(file, 'utf8'), file) };
}
