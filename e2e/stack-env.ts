// What e2e/stack.ts started, for the specs: its environment and the seeded admin.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page, type TestInfo } from '@playwright/test';

export interface Stack {
  env: Record<string, string>;
  admin: { email: string; password: string };
}

export function readStack(): Stack {
  const port = Number(process.env.E2E_PORT ?? 3210);
  return JSON.parse(readFileSync(path.resolve(import.meta.dirname, port === 3210 ? '.stack.json' : `.stack-${port}.json`), 'utf8')) as Stack;
}

/** A workers process a spec starts for itself (e.g. only the feed, or only backfills), with its output kept. */
export class ExtraWorkers {
  private proc: ChildProcess | null = null;
  private readonly out: string[] = [];
  constructor(private readonly name: string) {}

  start(stack: Stack, roles: string): void {
    const root = path.resolve(import.meta.dirname, '..');
    this.proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: path.join(root, 'workers'), env: { ...stack.env, WORKER_ROLES: roles, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (d: Buffer) => this.out.push(d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => this.out.push(d.toString()));
  }

  /** On a failed test the process's own log says whether its work ran at all. */
  async attachOnFailure(info: TestInfo): Promise<void> {
    if (info.status === info.expectedStatus) return;
    console.error(`--- ${this.name} output ---\n${this.out.join('')}`);
    await info.attach(`${this.name}.log`, { body: this.out.join(''), contentType: 'text/plain' });
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  }
}

/**
 * Signs in as the seeded admin on the open login page. The console limits sign-ins per address (a few per 10 s, as a
 * defence against guessing); a suite that signs in spec after spec meets that limit, so on "Too many requests" this
 * waits as a person would and tries again.
 */
export async function signIn(page: Page, stack: Stack): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await page.getByLabel('Email').fill(stack.admin.email);
    await page.getByLabel('Password').fill(stack.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const outcome = await Promise.race([
      page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 20_000 }).then(() => 'in' as const, () => 'timeout' as const),
      page.getByText(/too many requests/i).waitFor({ timeout: 20_000 }).then(() => 'limited' as const, () => 'timeout' as const),
    ]);
    if (outcome === 'in') return;
    if (outcome === 'timeout' || attempt >= 5) throw new Error(`sign-in did not complete (${outcome}, attempt ${attempt + 1})`);
    await page.waitForTimeout(11_000);
  }
}

/**
 * Signs in as the seeded admin (on the open login page) and, when trading is not ACTIVE, resumes it as an operator
 * would: on a stack shared with other journeys trading may have been halted (console.spec does). `reason` goes to
 * the audit log, so each journey says why it resumed.
 */
export async function signInActive(page: Page, stack: Stack, reason = 'e2e: the journey needs trading'): Promise<void> {
  await signIn(page, stack);
  const state = page.getByTestId('trading-state');
  await expect(state).toHaveAttribute('data-state', /^(ACTIVE|REDUCING|HALTED)$/);
  if ((await state.getAttribute('data-state')) === 'ACTIVE') return;
  await page.getByRole('button', { name: 'Resume trading' }).click();
  const resume = page.getByRole('dialog', { name: 'Confirm resume' });
  await resume.getByLabel(/Reason/).fill(reason);
  await resume.getByLabel(/Your password/).fill(stack.admin.password);
  await resume.getByRole('button', { name: 'Confirm resume' }).click();
  await expect(state).toHaveAttribute('data-state', 'ACTIVE');
}

/** Keeps a full-page screenshot as a test artifact and fails on serious or critical axe-core violations. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await test.info().attach(name, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
  const violations = (await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), `${name}: axe`).toEqual([]);
}
