// The backfill journey: sign in, get refused with the server's reasons, start a run of replay history and
// watch its progress bar reach 2/2 and the run succeed by push (no reload). Independent of trading state.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { ExtraWorkers, readStack, signIn } from './stack-env';

const worker = new ExtraWorkers('backfill worker');

// The stack's workers run only the trading roles, so this spec brings its own backfill worker.
test.beforeAll(() => worker.start(readStack(), 'backfill'));
test.afterEach(async ({}, info) => worker.attachOnFailure(info));
test.afterAll(() => worker.stop());

async function openBackfills(page: Page) {
  const stack = readStack();
  await page.goto('/backfills');
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, stack);
  await expect(page.getByTestId('trading-state')).toBeVisible(); // signed in, on the overview
  await page.getByRole('link', { name: 'Backfills' }).click();
  await expect(page).toHaveURL(/\/backfills$/);
  await expect(page.getByTestId('live-status')).toContainText('live');
  return page.getByRole('form', { name: 'Start a backfill' });
}

/** Starts a run from the form and returns its id (from the confirmation the page shows). */
async function start(form: Locator, o: { symbols: string; days: string; to: string }) {
  await form.getByLabel(/Symbols/).fill(o.symbols);
  await form.getByLabel('Trading days').fill(o.days);
  await form.getByLabel(/Ending/).fill(o.to);
  await form.getByLabel('Stage').selectOption('market_data');
  await form.getByLabel('Timeframe').selectOption('5m');
  await form.getByRole('button', { name: 'Start backfill' }).click();
  const started = form.getByRole('status');
  await expect(started).toContainText('chunk(s) queued');
  await expect(form.getByRole('alert')).toHaveCount(0);
  const runId = await started.getAttribute('data-run-id');
  expect(runId).toMatch(/^[0-9a-f-]{36}$/);
  return runId!;
}

test('start a backfill and watch it finish live', async ({ page }) => {
  const form = await openBackfills(page);
  let navigations = 0;
  page.on('framenavigated', () => navigations++);

  // Bad input comes back from the server with what is wrong, next to the form.
  await form.getByLabel(/Symbols/).fill('SPY, 9X');
  await form.getByLabel('Trading days').fill('2');
  await form.getByRole('button', { name: 'Start backfill' }).click();
  await expect(form.getByRole('alert')).toContainText('symbols.1: must be an upper-case ticker like SPY');
  await form.getByLabel(/Symbols/).fill('SPY');
  await form.getByLabel(/Ending/).fill('2030-01-02');
  await form.getByRole('button', { name: 'Start backfill' }).click();
  await expect(form.getByRole('alert')).toContainText('NYSE calendar covers 2024–2027');

  const runId = await start(form, { symbols: 'SPY', days: '2', to: '2025-08-28' });
  await expect(form.getByRole('status')).toContainText('2 chunk(s) queued');
  const run = page.locator(`tbody[data-run="${runId}"]`);
  await expect(run).toContainText('2025-08-27 → 2025-08-28');
  await expect(run).toContainText(readStack().admin.email);
  await expect(run).toContainText('market_data / 5m');
  const bar = run.getByRole('progressbar', { name: /^Run .* progress$/ });
  await expect(bar).toHaveAttribute('aria-valuemax', '2');
  await expect(bar).toHaveAttribute('aria-valuenow', '2', { timeout: 60_000 });
  await expect(run.getByTestId('run-status')).toHaveText('succeeded');
  await expect(run.getByRole('progressbar', { name: 'SPY progress' })).toHaveAttribute('aria-valuenow', '2');
  await expect(run.locator('li[data-symbol="SPY"]')).not.toContainText('failed');
  await expect(run.getByRole('button', { name: 'Resume' })).toHaveCount(0);
  expect(navigations, 'the page must not reload').toBe(0);
});

test('a failed run shows its error in red and can be resumed', async ({ page }) => {
  const form = await openBackfills(page);
  // The replay data has no file for this ticker, so every attempt of its chunk fails.
  const runId = await start(form, { symbols: 'ZZZZ', days: '1', to: '2025-08-28' });
  const run = page.locator(`tbody[data-run="${runId}"]`);
  await expect(run.getByTestId('run-status')).toHaveText('failed', { timeout: 60_000 });
  await expect(run.getByRole('progressbar', { name: /^Run .* progress$/ })).toHaveAttribute('aria-valuetext', '0 of 1 done, 1 failed');
  await expect(run.locator('li[data-symbol="ZZZZ"] .error').last()).toContainText('2025-08-28:');
  await expect(run.locator('li[data-symbol="ZZZZ"]')).toContainText('no replay data for ZZZZ at 5m');

  await run.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Resumed run' })).toContainText('1 chunk(s) queued again');
  // The retries take seconds, so the push of the re-queued run is seen before it fails again (the file
  // is still missing), all without a reload.
  await expect(run.getByTestId('run-status')).not.toHaveText('failed');
  await expect(run.getByTestId('run-status')).toHaveText('failed', { timeout: 60_000 });
  await expect(run.getByRole('button', { name: 'Resume' })).toBeVisible();

  await page.screenshot({ path: test.info().outputPath('backfills.png'), fullPage: true });
});
