// ops/job-definitions.yaml: read, checked whole (schema, payloads against the job catalog, dependencies, cycles,
// cron expressions) and refused with file:line:column and the reason at the first problem found.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { jobDefinitionsSchema, type TJobDefinitions } from '@ai-trader/contracts';
import { cronProblem } from '@ai-trader/core';
import { ConfigFileError, parseYamlConfig } from './yaml-config.ts';

/** ops/job-definitions.yaml of this repository, found from these sources. Bundled (the console) there is no module
 *  directory: the relative path then, and the console looks the file up from its working directory anyway. */
export const DEFAULT_JOB_DEFINITIONS_FILE = import.meta.dirname
  ? path.resolve(/*turbopackIgnore: true*/ import.meta.dirname, '../../../../ops/job-definitions.yaml')
  : path.join('ops', 'job-definitions.yaml');

export function parseJobDefinitions(text: string, file: string): TJobDefinitions {
  return parseYamlConfig(text, file, jobDefinitionsSchema(cronProblem)).jobs;
}

/** Reads the file (default: ops/job-definitions.yaml of this repository); a missing file is a ConfigFileError too. */
export function loadJobDefinitions(file: string = DEFAULT_JOB_DEFINITIONS_FILE): { file: string; definitions: TJobDefinitions } {
  if (!existsSync(/*turbopackIgnore: true*/ file)) throw new ConfigFileError(file, [{ line: 1, column: 1, message: 'no such file' }]);
  return { file, definitions: parseJobDefinitions(readFileSync(/*turbopackIgnore: true*/ file, 'utf8'), file) };
}
