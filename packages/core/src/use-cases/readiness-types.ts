// What one go-live readiness check is: its id, group, freshness window and how it runs. The checks themselves live
// in readiness-<group>.ts; readiness.ts runs them, stores each result and reads the report.
import type { TReadinessCheckId, TReadinessEvidence, TReadinessGroup } from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';

export interface CheckOutcome {
  ok: boolean;
  /** One line: what was found. */
  summary: string;
  evidence: TReadinessEvidence;
  /** What to do, when it failed for a reason more specific than the check's general remedy. */
  remedy?: string;
}

/** Where files the checks read live (the built console, the repo's ops/ files); tests point them elsewhere. */
export interface ReadinessEnv {
  /** The checkout: where the workers' and the CLI's entry points are (they run from source). */
  repoDir: string;
  /** apps/console/.next: the built app whose server bundles the code check scans. */
  consoleBuildDir: string;
  /** ops/alerts.yml: the alert rules Prometheus must have loaded. */
  alertsFile: string;
}

export interface ReadinessCheck {
  id: TReadinessCheckId;
  group: TReadinessGroup;
  title: string;
  /** A result older than this is stale (READINESS_WINDOWS overrides it). */
  windowSeconds: number;
  /** Expensive: run by the scheduled job (and by hand when named), not by a plain `readiness run`. */
  scheduled: boolean;
  /** What to do when it fails. */
  remedy: string;
  run(deps: Deps, env: ReadinessEnv): Promise<CheckOutcome>;
}

export const HOUR = 3600;
export const DAY = 86_400;

export const pass = (summary: string, evidence: TReadinessEvidence): CheckOutcome => ({ ok: true, summary, evidence });
export const fail = (summary: string, evidence: TReadinessEvidence, remedy?: string): CheckOutcome => ({ ok: false, summary, evidence, ...(remedy ? { remedy } : {}) });
