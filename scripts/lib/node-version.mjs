// The one Node requirement of the workspace (package.json engines: >=20.19), checked before anything
// else so an old Node fails with a sentence instead of a syntax error deep inside a dependency.
import { fail } from './steps.mjs';

export const MIN_NODE = [20, 19];

export function checkNode(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  if (!ok) {
    fail(`Node ${MIN_NODE.join('.')} or newer is required (this is Node ${version}). Install Node 20 LTS or 22 LTS.`);
  }
  return { note: `Node ${version}` };
}
