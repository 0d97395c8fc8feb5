// The walking-skeleton journey: sign in, watch a position appear live (no reload), HALT, see the
// state change; liquidate everything (steps and the verified end state), cancel all orders, suspend and unsuspend
// at the broker; and the audit rows.
import { expect, test } from '@playwright/test';
import { ExtraWorkers, readStack, signIn } from './stack-env';

const feed = new ExtraWorkers('feed process');

test.afterEach(async ({}, info) => feed.attachOnFailure(info));
test.afterAll(() => feed.stop());

test('sign in, see a position arrive live, HALT, and find it in the audit log', async ({ page }) => {
  const stack = readStack();

  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel('Email').fill(stack.admin.email);
  await page.getByLabel('Password').fill('wrong-password-123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await signIn(page, stack);

  await expect(page.getByTestId('trading-state')).toHaveAttribute('data-state', 'ACTIVE');
  await expect(page.getByTestId('positions')).toContainText('No open positions');
  await expect(page.getByTestId('live-status')).toContainText('live');

  // Start the feed as its own process (roles can be split across processes); the page must update by push.
  feed.start(stack, 'feed');
  let navigations = 0;
  page.on('framenavigated', () => navigations++);

  await expect(page.getByTestId('positions').locator('tr[data-symbol]').first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('orders')).toContainText('filled');
  expect(navigations, 'the page must not reload').toBe(0);

  // Liveness and readiness over HTTP (no session needed): every component named, the feed process's role beating.
  expect(await (await page.request.get('/api/health')).json()).toMatchObject({ status: 'ok' });
  const ready = await page.request.get('/api/health/ready');
  expect(ready.status()).toBe(200);
  const health = await ready.json();
  expect(health).toMatchObject({ code: 200, components: { postgres: { status: 'ok' }, redis: { status: 'ok' }, 'worker.feed': { status: 'ok' }, broker: { status: 'ok' } } });
  expect(Object.keys(health.components)).toEqual(expect.arrayContaining(['worker.execution', 'worker.portfolio', 'feed', 'scheduler']));
  await expect(page.getByTestId('health').locator('li[data-component="worker.feed"]')).toContainText('ok');

  await page.getByRole('button', { name: 'HALT trading' }).click();
  const dialog = page.getByRole('dialog', { name: 'Confirm HALT' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel(/Reason/).fill('e2e: halting the demo');
  await dialog.getByRole('button', { name: 'Confirm HALT' }).click();

  await expect(page.getByTestId('trading-state')).toHaveAttribute('data-state', 'HALTED');
  await expect(page.getByTestId('trading-state')).toContainText(`set by ${stack.admin.email}`);
  await expect(page.getByRole('status')).toContainText('the broker reports no open orders');
  await expect(page.getByRole('button', { name: 'HALT trading' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Resume trading' })).toBeVisible();

  // Liquidate everything (admin, reason + password): the steps as they happen, then the verified end state.
  await page.getByRole('button', { name: 'Liquidate everything' }).click();
  const liquidate = page.getByRole('dialog', { name: 'Liquidate everything' });
  await liquidate.getByLabel(/Reason/).fill('e2e: flatten the demo');
  await liquidate.getByLabel(/Your password/).fill(stack.admin.password);
  await liquidate.getByRole('button', { name: 'Liquidate everything' }).click();
  const progress = page.getByTestId('emergency-progress').and(page.locator('[data-action="liquidate"]'));
  await expect(progress).toHaveAttribute('data-state', 'done');
  await expect(progress.locator('li[data-step]')).toHaveText([/^✓ Halted — new orders blocked/, /^✓ Orders cancelled/, /^✓ Positions closing/, /^✓ Verified flat/, /^✓ Books updated/]);
  await expect(progress.getByTestId('emergency-outcome')).toContainText('flat, verified with the broker');
  await expect(page.getByTestId('positions')).toContainText('No open positions');

  // Cancel all orders (reason) and the broker-side suspend (reason + password), then back.
  await page.getByRole('button', { name: 'Cancel all orders' }).click();
  const cancel = page.getByRole('dialog', { name: 'Cancel all orders' });
  await cancel.getByLabel(/Reason/).fill('e2e: nothing should be open');
  await cancel.getByRole('button', { name: 'Cancel all orders' }).click();
  await expect(page.getByTestId('cancel-all-result')).toContainText('Cancelled 0 order(s); the broker reports none open. Trading state HALTED (unchanged).');
  for (const [button, reason] of [['Suspend at broker', 'e2e: broker-side stop'], ['Unsuspend at broker', 'e2e: broker-side stop over']] as const) {
    await page.getByRole('button', { name: button }).click();
    const d = page.getByRole('dialog', { name: button.replace('at broker', 'trading at the broker') });
    await d.getByLabel(/Reason/).fill(reason);
    await d.getByLabel(/Your password/).fill(stack.admin.password);
    await d.getByRole('button', { name: button }).click();
    await expect(d).toBeHidden();
    if (button === 'Suspend at broker') await expect(page.getByTestId('broker-suspended')).toContainText('Trading is suspended at the sim broker');
  }
  await expect(page.getByTestId('broker-suspended')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Suspend at broker' })).toBeVisible();

  await page.getByRole('link', { name: 'Audit log' }).click();
  // (the liquidation and the suspend HALT too: each writes its own trading.halt row)
  const halt = page.getByTestId('audit').locator('tr[data-action="trading.halt"]').filter({ hasText: '"state":"ACTIVE"' });
  await expect(halt).toContainText(stack.admin.email);
  await expect(halt).toContainText('e2e: halting the demo');
  await expect(halt).toContainText('"state":"ACTIVE"');
  await expect(halt).toContainText('"state":"HALTED"');
  await expect(page.getByTestId('audit').locator('tr[data-action="orders.cancel-all"]').first()).toBeVisible();
  await expect(page.getByTestId('audit').locator('tr[data-action="emergency.liquidate"]')).toContainText('e2e: flatten the demo');
});
