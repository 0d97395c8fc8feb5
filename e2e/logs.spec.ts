// The Logs journey: sign in, open Logs, see a new process's start-up line arrive live, then the orders lines
// of the running pipeline — broker refusals from a second execution worker whose simulated broker rejects a
// share of orders (SIM_REJECT_RATE, the fault injection meant for tests) — open one line's JSON, search its
// text, and filter by level and by errors. Screenshot and axe on the way.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator } from '@playwright/test';
import { ExtraWorkers, readStack, signInActive } from './stack-env';

const feed = new ExtraWorkers('feed process');
const rejecter = new ExtraWorkers('rejecting execution worker');

test.afterEach(async ({}, info) => {
  await feed.attachOnFailure(info);
  await rejecter.attachOnFailure(info);
});
test.afterAll(async () => {
  await feed.stop();
  await rejecter.stop();
});

const attrs = (rows: Locator, a: string) => rows.evaluateAll((els, name) => els.map((e) => e.getAttribute(name)), a);

test('logs: live lines by category, the JSON of a line, text, level and error filters', async ({ page }) => {
  test.setTimeout(240_000);
  const stack = readStack();
  await page.goto('/logs');
  await expect(page).toHaveURL(/\/login$/);
  await signInActive(page, stack, 'e2e: the logs journey needs orders');

  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Logs' }).click();
  await expect(page).toHaveURL(/\/logs$/);
  await expect(page.getByRole('heading', { name: 'Logs', level: 1 })).toBeVisible();
  await expect(page.getByTestId('live-status')).toContainText('● live');
  const table = page.getByTestId('logs');
  const rows = table.locator('tr.log-row');
  // Start-up lines are info: kept although the stack's workers print only warn and up.
  const started = rows.filter({ hasText: 'workers started' });
  await expect(table.or(page.getByTestId('logs-empty'))).toBeVisible();
  const startedBefore = await started.count();
  let navigations = 0;
  page.on('framenavigated', () => navigations++);

  // A second execution worker starts: its start-up line is pushed to the open page.
  rejecter.start({ ...stack, env: { ...stack.env, SIM_REJECT_RATE: '0.3' } }, 'execution');
  await expect(started).toHaveCount(startedBefore + 1, { timeout: 60_000 });
  await expect(started.first()).toHaveAttribute('data-category', 'system');

  // Orders: the feed runs; refusals by the simulated broker arrive live under the orders tab.
  // (scoped: the emergency panel has "Cancel all orders" too)
  const categories = page.getByRole('group', { name: 'Category' });
  await categories.getByRole('button', { name: 'Orders' }).click();
  await expect(categories.getByRole('button', { name: 'Orders' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('live-status')).toContainText('● live');
  feed.start(stack, 'feed');
  const rejected = rows.filter({ hasText: /Order rejected: .* by sim: .*fault injection/ });
  await expect(rejected.first()).toBeVisible({ timeout: 90_000 });
  expect(navigations, 'the page must not reload').toBe(0);
  await rejecter.stop();
  await feed.stop();
  expect(new Set(await attrs(rows, 'data-category'))).toEqual(new Set(['orders']));
  await expect(rejected.first()).toHaveAttribute('data-level', 'warn');
  await expect(rejected.first().locator('.lvl')).toHaveClass(/lvl-warn/);

  // One line opens to its JSON: the fields as logged, the category, no secrets.
  await rejected.first().getByRole('button', { name: 'Show the JSON of this line' }).click();
  await expect(rejected.first().getByRole('button', { name: 'Hide the JSON of this line' })).toHaveAttribute('aria-expanded', 'true');
  const json = table.locator('pre.log-json').first();
  await expect(json).toContainText('"category": "orders"');
  await expect(json).toContainText('"clientOrderId": "ait-');
  await expect(json).toContainText('"cause": "rejected"');

  const shot = await page.screenshot({ fullPage: true });
  await test.info().attach('logs', { body: shot, contentType: 'image/png' });
  const serious = (await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);

  // Text search (server side, message and fields, any case) within the category.
  const filters = page.getByRole('form', { name: 'Filter logs' });
  await filters.getByLabel(/^Text/).fill('FAULT INJECTION');
  await filters.getByRole('button', { name: 'Search' }).click();
  await expect(rejected.first()).toBeVisible();
  for (const text of await rows.allInnerTexts()) expect(text).toMatch(/fault injection, SIM_REJECT_RATE=0.3/);

  // Lowest level: error and up within orders — refusals are warnings, so they are gone.
  await filters.getByLabel('Lowest level').selectOption('error');
  await expect(rejected).toHaveCount(0);
  await filters.getByLabel('Lowest level').selectOption('');
  await filters.getByRole('button', { name: 'Clear' }).click();
  await expect(rejected.first()).toBeVisible();

  // Errors: every category, level error and above only (or the empty state saying what to widen).
  await categories.getByRole('button', { name: 'Errors' }).click();
  await expect(categories.getByRole('button', { name: 'Errors' })).toHaveAttribute('aria-pressed', 'true');
  await expect(table.or(page.getByTestId('logs-empty'))).toBeVisible();
  if (await table.isVisible()) for (const level of await attrs(rows, 'data-level')) expect(['error', 'fatal']).toContain(level);
  else await expect(page.getByTestId('logs-empty')).toContainText('No line matches these filters');

  // A time range in New York time: a range before the stack existed has no lines, and live is off while "To" is set.
  await categories.getByRole('button', { name: 'All' }).click();
  await filters.getByLabel('From (New York)').fill('2020-01-02T09:30:00');
  await filters.getByLabel('To (New York)').fill('2020-01-02T16:00:00');
  await filters.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('logs-empty')).toContainText('No line matches these filters');
  await expect(page.getByTestId('live-status')).toContainText('live is off while a “To” time is set');
  await expect(page.getByLabel('Live')).toBeDisabled();
});
