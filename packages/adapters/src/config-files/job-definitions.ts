// ops/job-definitions.yaml: read, checked whole (schema, payloads against the job catalog, dependencies, cycles,
// cron expressions) and refused with file:line:column and the reason at the first problem found.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobDefinitionsSchema, type TJobDefinitions } from '@ai-trader/contracts';
import { cronProblem } from '@ai-trader/core';
import { ConfigFileError, parseYamlConfig } from './yaml-config.ts';

export const DEFAULT_JOB_DEFINITIONS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../ops/job-definitions.yaml');

export function parseJobDefinitions(text: string, file: string): TJobDefinitions {
  return parseYamlConfig(text, file, jobDefinitionsSchema(cronProblem)).jobs;
}

/** Reads the file (default: ops/job-definitions.yaml of this repository); a missing file is a ConfigFileError too. */
export function loadJobDefinitions(file: string = DEFAULT_JOB_DEFINITIONS_FILE): { file: string; definitions: TJobDefinitions } {
  if (!existsSync(/*turbopackIgnore: true*/ file)) throw new ConfigFileError(file, [{ line: 1, column: 1, message: 'no such file' }]);
  return { file, definitions: parseJobDefinitions(readFileSync(/*turbopackIgnore: true*/ file, 'utf8'), file) };
}
