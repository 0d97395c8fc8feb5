// The audit page in the browser: sign-ins (and the failed one) are in the log, filters by action, actor and New
// York dates with an empty state that says what to do, the CSV export of the filtered rows, and the chain badge —
// not verified, intact after an admin verifies, broken at the right seq after a row is changed behind the
// triggers' back (and intact again once it is put back).
import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import pg from 'pg';
import { readStack, signIn } from './stack-env';

async function noSeriousA11yViolations(page: Page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
}

/** SQL with the triggers off (the stack's database user is a superuser, as an attacker with one would be). */
async function behindTheTriggers(url: string, sql: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('SET session_replication_role = replica');
    await c.query(sql, params);
  } finally {
    await c.end();
  }
}

test('audit page: auth events, filters, CSV export, chain status intact then broken at the changed row', async ({ page }) => {
  test.setTimeout(180_000);
  const stack = readStack();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/login');
  await page.getByLabel('Email').fill(stack.admin.email);
  await page.getByLabel('Password').fill('not-the-password-1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await signIn(page, stack);
  await expect(page.getByTestId('trading-state')).toBeVisible();

  await page.getByRole('link', { name: 'Audit log' }).click();
  const table = page.getByTestId('audit');
  await expect(table.locator('tr[data-action="auth.sign-in"]').first()).toContainText(stack.admin.email);
  await expect(table.locator('tr[data-action="auth.sign-in-failed"]').first()).toContainText('401 INVALID_EMAIL_OR_PASSWORD');
  // The seed's row (other journeys may have added users since: the admin journey does).
  const seeded = table.locator('tr[data-action="user.create"]').filter({ hasText: 'system:seed' });
  await expect(seeded).toHaveCount(1);
  await expect(table).not.toContainText('not-the-password-1');

  // --- the chain: not verified yet, then intact ---------------------------------------------------------------
  const badge = page.getByTestId('chain-status');
  await expect(badge).toHaveAttribute('data-state', 'unknown');
  await page.getByRole('button', { name: 'Verify chain now' }).click();
  await expect(badge).toHaveAttribute('data-state', 'intact');
  await expect(badge).toContainText(`by ${stack.admin.email}`);

  // --- filters ------------------------------------------------------------------------------------------------
  const actions = () => table.locator('tr[data-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')!));
  const apply = async () => {
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect(table).toHaveAttribute('aria-busy', 'false'); // the filtered rows have arrived
  };
  await page.getByLabel('Action starts with').fill('auth.');
  await apply();
  await expect(table.locator('tr[data-action="user.create"]')).toHaveCount(0);
  expect((await actions()).length).toBeGreaterThanOrEqual(2);
  expect((await actions()).every((a) => a.startsWith('auth.'))).toBe(true);

  await page.getByLabel('Actor (email starts with)').fill('nobody@');
  await apply();
  await expect(table).toContainText('No audit rows match these filters');

  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(seeded).toBeVisible();
  const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel('From (New York date)').fill(tomorrow);
  await apply();
  await expect(table).toContainText('No audit rows match these filters');
  await page.getByRole('button', { name: 'Clear' }).click();

  // --- CSV export of the filtered rows ------------------------------------------------------------------------
  await page.getByLabel('Action starts with').fill('auth.sign-in');
  await apply();
  const shown = await actions();
  expect(shown).toEqual(expect.arrayContaining(['auth.sign-in', 'auth.sign-in-failed']));
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('audit.csv');
  const lines = readFileSync((await file.path())!, 'utf8').trimEnd().split('\r\n');
  expect(lines[0]).toBe('seq,id,at_utc,actor_id,actor_email,action,reason,before,after,prev_hash,hash');
  expect(lines.slice(1).map((l) => l.split(',')[5])).toEqual(shown);
  await expect(page.getByTestId('export-result')).toContainText(`Exported ${shown.length} row`);
  await noSeriousA11yViolations(page);
  await test.info().attach('audit', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

  // --- a row changed behind the triggers' back: broken at its seq ---------------------------------------------
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(table).toHaveAttribute('aria-busy', 'false');
  const failed = table.locator('tr[data-action="auth.sign-in-failed"]').first();
  const seq = (await failed.getAttribute('data-seq'))!;
  const { rows } = await (async () => {
    const c = new pg.Client({ connectionString: stack.env.DATABASE_URL });
    await c.connect();
    try {
      return await c.query<{ reason: string }>('SELECT reason FROM audit_log WHERE seq = $1', [seq]);
    } finally {
      await c.end();
    }
  })();
  await behindTheTriggers(stack.env.DATABASE_URL!, `UPDATE audit_log SET reason = 'nothing happened' WHERE seq = $1`, [seq]);
  await page.getByRole('button', { name: 'Verify chain now' }).click();
  await expect(badge).toHaveAttribute('data-state', 'broken');
  await expect(badge).toHaveAttribute('data-seq', seq);
  await expect(badge).toContainText(`Chain broken at seq ${seq} (hash mismatch`);
  await noSeriousA11yViolations(page);
  await test.info().attach('audit-broken', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

  await behindTheTriggers(stack.env.DATABASE_URL!, 'UPDATE audit_log SET reason = $2 WHERE seq = $1', [seq, rows[0]!.reason]);
  await page.getByRole('button', { name: 'Verify chain now' }).click();
  await expect(badge).toHaveAttribute('data-state', 'intact');
});
