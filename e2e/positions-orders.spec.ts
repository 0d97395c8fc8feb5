// A trader's journey through Positions and Orders: a position opens live (no reload), the table sorts and filters,
// the drill-down draws the candlestick chart with the entry marked, a manual close made while the feed is stopped
// stays working (a simulated market fills only at a later bar) and is cancelled with its timeline shown, the
// filtered orders export as CSV, and a second close fills once the feed runs again: the position is flat.
import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { ExtraWorkers, readStack, signInActive } from './stack-env';

const feed = new ExtraWorkers('feed process');

test.afterEach(async ({}, info) => feed.attachOnFailure(info));
test.afterAll(() => feed.stop());

async function noSeriousA11yViolations(page: Page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
}

async function screenshot(page: Page, name: string) {
  await test.info().attach(name, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
}

const numbers = async (rows: Locator, attr: string) => (await rows.evaluateAll((els, a) => els.map((e) => Number(e.getAttribute(a))), attr));

test('trader: positions live, sort and filter, chart, cancel a working close, CSV, close to flat', async ({ page }) => {
  test.setTimeout(300_000);
  const stack = readStack();
  await page.goto('/login');
  await signInActive(page, stack, 'e2e: positions journey needs trading');

  // --- A position opens live -------------------------------------------------------------------------------
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Positions' }).click();
  await expect(page.getByRole('heading', { name: 'Positions', level: 1 })).toBeVisible();
  await expect(page.getByTestId('live-status')).toContainText('live');
  const table = page.getByTestId('positions-table');
  const held = table.locator('tr[data-symbol]:not([data-qty="0"])');
  const heldBefore = await held.count();
  let navigations = 0;
  page.on('framenavigated', () => navigations++);
  feed.start(stack, 'feed');
  await expect(held).not.toHaveCount(heldBefore, { timeout: 90_000 });
  expect(navigations, 'the page must not reload').toBe(0);
  // Strategies exit too (stop-loss, take-profit): wait, with the feed running, for a held symbol with no SELL working.
  await expect(table.locator('tbody tr[data-symbol][data-closing="false"]:not([data-qty="0"])').first()).toBeVisible({ timeout: 90_000 });
  // The feed stops: no later bar, so an order sent now stays working at the simulated broker.
  await feed.stop();
  await page.waitForTimeout(3_000); // the last bar's jobs drain (risk → submission → fills)

  // --- Sort and filter ---------------------------------------------------------------------------------------
  const rows = table.locator('tbody tr[data-symbol]');
  await table.getByRole('button', { name: /^Qty/ }).click();
  await expect(table.locator('th', { has: page.getByRole('button', { name: /^Qty/ }) })).toHaveAttribute('aria-sort', 'ascending');
  const asc = await numbers(rows, 'data-qty');
  expect(asc).toEqual([...asc].sort((a, b) => a - b));
  await table.getByRole('button', { name: /^Qty/ }).click();
  await expect(table.locator('th', { has: page.getByRole('button', { name: /^Qty/ }) })).toHaveAttribute('aria-sort', 'descending');
  const desc = await numbers(rows, 'data-qty');
  expect(desc).toEqual([...desc].sort((a, b) => b - a));
  await page.getByLabel('Show').selectOption('open');
  await expect(rows.filter({ has: page.locator('.status-flat') })).toHaveCount(0);
  // The symbol to work with: held, and no SELL of it working already.
  const symbol = (await rows.and(page.locator('[data-closing="false"]:not([data-qty="0"])')).first().getAttribute('data-symbol'))!;
  await page.getByLabel('Filter symbols').fill(symbol.toLowerCase());
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-symbol', symbol);
  const row = table.locator(`tr[data-symbol="${symbol}"]`);
  // The strategy's exits were armed by the entry's fill (ops/strategies.yaml: stop-loss, take-profit, trailing stop).
  await expect(row).toContainText(/stop \$[\d,]+\.\d\d/);
  await expect(row).toContainText(/trail 3 % at \$/); // trailingStopPct: 3
  // Unrealised P&L is coloured by its sign.
  const unrealized = row.getByTestId('unrealized');
  const pnlText = (await unrealized.textContent())!;
  expect(await unrealized.getAttribute('class')).toBe(pnlText.startsWith('-') ? 'neg' : pnlText.startsWith('+') ? 'pos' : '');

  // --- Drill-down: the chart with the entry marked ----------------------------------------------------------
  await row.getByRole('button', { name: `Chart and fills of ${symbol}` }).click();
  const chart = page.getByTestId('position-chart');
  await expect(chart).toHaveAttribute('data-ready', 'true');
  await expect(chart.locator('canvas').first()).toBeVisible();
  expect((await chart.locator('canvas').first().boundingBox())!.height).toBeGreaterThan(100);
  await expect.poll(async () => Number(await chart.getAttribute('data-entries'))).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('fills').locator('tr[data-side="BUY"]').first()).toBeVisible();
  expect(page.url()).toContain(`symbol=${symbol}`);

  // --- A close that stays working, then cancelled -----------------------------------------------------------
  await row.getByRole('button', { name: `Close ${symbol}` }).click();
  let dialog = page.getByRole('dialog', { name: 'Confirm close position' });
  await dialog.getByLabel(/Reason/).fill('e2e: close, then think again');
  await dialog.getByRole('button', { name: 'Confirm close' }).click();
  await expect(page.getByTestId('close-result')).toContainText(`Close of ${symbol} sent to risk`);
  await expect(row).toHaveAttribute('data-closing', 'true');
  await expect(row).toContainText('closing');

  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Orders' }).click();
  await expect(page.getByRole('heading', { name: 'Orders', level: 1 })).toBeVisible();
  await page.getByRole('radio', { name: 'working' }).check();
  await page.getByLabel('Symbol').fill(symbol);
  const orders = page.getByTestId('orders-table');
  const working = orders.locator(`tr[data-symbol="${symbol}"][data-side="SELL"][data-strategy="manual"]`);
  await expect(working).toHaveCount(1);
  await expect(working).toHaveAttribute('data-status', 'new');
  await working.getByRole('button', { name: /^Timeline/ }).click();
  const timeline = page.getByTestId('order-timeline');
  await expect.poll(() => timeline.locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual(['signal', 'risk', 'intent', 'submitted']);
  await expect(timeline).toContainText('e2e: close, then think again');
  await working.getByRole('button', { name: /^Cancel/ }).click();
  dialog = page.getByRole('dialog', { name: 'Confirm cancel order' });
  await dialog.getByLabel(/Reason/).fill('e2e: not at this price');
  await dialog.getByRole('button', { name: 'Confirm cancel' }).click();
  await expect(page.getByTestId('cancel-result')).toContainText('cancelled at the broker (now canceled)');
  await expect(working).toHaveCount(0);
  await page.getByRole('radio', { name: 'all' }).check();
  const canceled = orders.locator(`tr[data-symbol="${symbol}"][data-strategy="manual"][data-status="canceled"]`);
  await expect(canceled).toHaveCount(1);
  // The open timeline stays open across filters: the same decision, now cancelled.
  await expect(canceled.getByRole('button', { name: /^Hide timeline/ })).toBeVisible();
  await expect(timeline.locator('li[data-kind="audit"]')).toContainText(`Cancel requested by ${stack.admin.email}`);
  await expect(timeline.locator('li[data-kind="audit"]')).toContainText('e2e: not at this price');
  await expect(timeline.locator('li[data-kind="canceled"]')).toBeVisible();
  expect(page.url()).toContain(`symbol=${symbol}`);

  // --- CSV export of the filtered rows ----------------------------------------------------------------------
  const download = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`orders-${symbol}.csv`);
  const lines = readFileSync((await file.path())!, 'utf8').trimEnd().split('\r\n');
  expect(lines[0]).toBe('decided_at,symbol,side,strategy,status,qty,filled_qty,avg_fill_price,ref_price,bar_ts,client_order_id,submitted_at,why_kind,why_code,why_message,exit_reason,decision_id');
  const row0 = lines.find((l) => l.includes(`,${symbol},SELL,manual,canceled,`));
  expect(row0, lines.join('\n')).toBeDefined();
  expect(row0).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,/);
  expect(lines.slice(1).every((l) => l.split(',')[1] === symbol)).toBe(true);
  await noSeriousA11yViolations(page);
  await screenshot(page, 'orders');

  // --- Close for real: filled at the next bar, flat ---------------------------------------------------------
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Positions' }).click();
  await expect(row).toHaveAttribute('data-closing', 'false');
  await row.getByRole('button', { name: `Close ${symbol}` }).click();
  dialog = page.getByRole('dialog', { name: 'Confirm close position' });
  await dialog.getByLabel(/Reason/).fill('e2e: flatten');
  await dialog.getByRole('button', { name: 'Confirm close' }).click();
  await expect(row).toHaveAttribute('data-closing', 'true');
  // The feed again, slower (a bar every 5 s): the close fills at the next bar, long before a new entry could.
  feed.start({ ...stack, env: { ...stack.env, REPLAY_SPEED: '60' } }, 'feed');
  await expect(row).toHaveAttribute('data-qty', '0', { timeout: 60_000 });
  await expect(row).toContainText('flat');
  await expect(row.getByRole('button', { name: `Close ${symbol}` })).toBeDisabled();
  await row.getByRole('button', { name: `Chart and fills of ${symbol}` }).click();
  await expect.poll(async () => Number(await chart.getAttribute('data-exits')), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('fills').locator('tr[data-side="SELL"]').first()).toContainText('manual');
  await feed.stop();
  await noSeriousA11yViolations(page);
  await screenshot(page, 'positions');

  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByTestId('audit').locator('tr[data-action="position.close"]').first()).toContainText('e2e: flatten');
  await expect(page.getByTestId('audit').locator('tr[data-action="order.cancel"]').first()).toContainText('e2e: not at this price');
});
