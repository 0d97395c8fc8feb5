// Risk, Data and Scanner pages in the browser, against the replayed market: a limit gauge moves after the
// pipeline's order, the Data page shows the replayed symbols fresh and a planted quarantined bar, the what-if
// check denies with a reason code and passes, and a scan run from the page shows its results. Each page is
// screenshotted and checked with axe (no serious or critical violations).
import { expect, test, type Page } from '@playwright/test';
import pg from 'pg';
import { checkPage, ExtraWorkers, readStack, signInActive } from './stack-env';

const feed = new ExtraWorkers('feed process');
const SYMBOLS = ['SPY', 'QQQ', 'AAPL', 'MSFT']; // REPLAY_SYMBOLS of e2e/stack.ts

test.afterEach(async ({}, info) => feed.attachOnFailure(info));
test.afterAll(() => feed.stop());

const gaugeValue = async (page: Page, key: string) => Number(await page.getByTestId(`gauge-${key}`).getAttribute('data-value'));

test('risk gauges move with an order, data freshness and quarantine, what-if deny and pass, a scan from the page', async ({ page }) => {
  test.setTimeout(300_000);
  const stack = readStack();
  await page.goto('/login');
  await signInActive(page, stack, 'e2e: risk journey needs an active market');

  // A quarantined bar, planted as the ingest path would write it.
  const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO bar_quarantine (symbol, timeframe, ts, kind, detail, source, raw) VALUES ('QQQ', '5m', '2025-06-04T14:00:00Z', 'ohlc_inconsistent', $1, 'e2e', $2)`,
      ['e2e planted: high 99 is below the open 100', JSON.stringify({ symbol: 'QQQ', open: '100', high: '99', low: '98', close: '99' })],
    );
  } finally {
    await db.end();
  }

  // ——— Risk: a gauge before and after the pipeline's order ———
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Risk' }).click();
  await expect(page).toHaveURL(/\/risk$/);
  await expect(page.getByTestId('live-status')).toContainText('live');
  await expect(page.getByTestId('limits').getByRole('meter', { name: 'Gross exposure' })).toBeVisible();
  const newest = await page.getByTestId('intents').locator('tr[data-intent]').first().getAttribute('data-intent', { timeout: 1_000 }).catch(() => null);
  const grossBefore = await gaugeValue(page, 'gross_exposure');

  let navigations = 0;
  page.on('framenavigated', () => navigations++);
  feed.start(stack, 'feed');
  // The pipeline decides an order (a new intent), and the same push shows it counted by the limits.
  const fresh = page.getByTestId('intents').locator('tr[data-intent]').first();
  await expect(fresh).toHaveAttribute('data-intent', /.+/, { timeout: 90_000 });
  await expect.poll(async () => fresh.getAttribute('data-intent'), { timeout: 90_000 }).not.toBe(newest);
  await expect.poll(() => gaugeValue(page, 'orders_per_minute'), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
  await expect.poll(() => gaugeValue(page, 'gross_exposure'), { timeout: 30_000 }).not.toBe(grossBefore);
  await expect(page.getByTestId('breakers').locator('tr[data-breaker]')).toHaveCount(5);
  expect(navigations, 'the page must not reload').toBe(0);

  // ——— Data: the replayed symbols fresh, the planted bar quarantined ———
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Data', exact: true }).click();
  await expect(page).toHaveURL(/\/data$/);
  const freshness = page.getByTestId('freshness');
  for (const s of SYMBOLS) await expect(freshness.locator(`tr[data-symbol="${s}"][data-timeframe="5m"]`)).toHaveAttribute('data-status', 'fresh', { timeout: 30_000 });
  const planted = page.getByTestId('quarantine').locator('tr[data-symbol="QQQ"]').filter({ hasText: 'e2e planted' });
  await expect(planted).toContainText('ohlc_inconsistent');
  await expect(planted).toContainText('2025-06-04 10:00:00 GMT-4');
  await expect(page.getByTestId('quarantine-summary')).toContainText('ohlc_inconsistent');
  // The newest stored SPY bar (a backfill journey may have stored later days than the replay): a New York time.
  await expect(page.getByTestId('stored').locator('tr[data-symbol="SPY"]')).toContainText(/20\d\d-\d\d-\d\d \d\d:\d\d:\d\d GMT-[45]/);
  await checkPage(page, 'data');

  // Stop the feed: the order rate falls back under its limit within a minute while the bars stay fresh
  // (STALE_AFTER_SECONDS 120), so the what-if answers depend on our question, not on the replay's pace.
  await feed.stop();
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Risk' }).click();
  await expect(page).toHaveURL(/\/risk$/);
  const limit = Number(await page.getByTestId('gauge-orders_per_minute').getAttribute('aria-valuemax'));
  await expect.poll(() => gaugeValue(page, 'orders_per_minute'), { timeout: 75_000, intervals: [2_000] }).toBeLessThan(limit);

  // ——— What-if: denied with a reason code, then passing ———
  const form = page.getByRole('form', { name: 'What-if order check' });
  await form.getByLabel('Symbol').fill('spy');
  await form.getByLabel('Side').selectOption('BUY');
  await form.getByLabel(/Price/).fill('1');
  await form.getByRole('button', { name: 'Check order' }).click();
  const answer = page.getByTestId('whatif-result');
  await expect(answer).toHaveAttribute('data-pass', 'false');
  await expect(answer).toHaveAttribute('data-code', 'PRICE_COLLAR');
  await expect(answer).toContainText('BUY SPY: denied — PRICE_COLLAR');
  await expect(answer).toContainText('simulated market at 2025-');

  await form.getByLabel(/Price/).fill('');
  await form.getByRole('button', { name: 'Check order' }).click();
  await expect(answer).toHaveAttribute('data-pass', 'true');
  await expect(answer).toContainText('BUY SPY: would pass');
  await expect(answer).toContainText(/buy \d+ shares/);

  // Bad input is refused with what is wrong.
  await form.getByLabel('Symbol').fill('9X');
  await form.getByRole('button', { name: 'Check order' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'symbol' })).toContainText('must be an upper-case ticker like SPY');
  await form.getByLabel('Symbol').fill('SPY');
  await form.getByRole('button', { name: 'Check order' }).click();
  await expect(answer).toHaveAttribute('data-pass', 'true');
  await checkPage(page, 'risk');

  // ——— Scanner: run layer0 now and see its results ———
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Scanner' }).click();
  await expect(page).toHaveURL(/\/scanner$/);
  const scan = page.getByRole('form', { name: 'Run a scan now' });
  await scan.getByLabel('Layer').selectOption('layer0');
  await scan.getByLabel(/As of/).fill('2025-06-06');
  await scan.getByRole('button', { name: 'Run scan now' }).click();
  const status = page.getByTestId('scan-status');
  await expect(status).toHaveAttribute('data-state', 'succeeded', { timeout: 60_000 });
  await expect(status).toContainText('configuration: ops/scanner.yaml');
  const runId = await status.getAttribute('data-run-id');
  await expect(page.getByTestId('scanner-runs').locator(`tr[data-run="${runId}"]`)).toHaveAttribute('data-status', 'succeeded');
  const detail = page.getByTestId('scanner-run');
  await expect(detail).toHaveAttribute('data-run', runId!);
  const results = page.getByTestId('scanner-results').locator('tr[data-symbol]');
  await expect(results).toHaveCount(7); // the universe of ops/scanner.yaml
  // Three replayed days are not "listed long enough" (minHistoryDays 20): each symbol fails and says why.
  await expect(page.getByTestId('scanner-results').locator('tr[data-symbol="SPY"]')).toContainText('fail');
  await expect(page.getByTestId('scanner-results').locator('tr[data-symbol="SPY"]')).toContainText(/history/i);
  await checkPage(page, 'scanner');
});
