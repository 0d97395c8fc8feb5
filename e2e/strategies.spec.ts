// Signals and strategies in the browser: the strategies seeded from ops/strategies.yaml are listed, the
// signals the pipeline wrote show their reason and what risk did, and disabling a strategy needs a reason
// and lands in the audit log.
import { expect, test } from '@playwright/test';
import { readStack, signIn } from './stack-env';

test('strategies page: seeded configs, live signals with reasons, an audited disable', async ({ page }) => {
  const stack = readStack();
  await page.goto('/login');
  await signIn(page, stack);
  await expect(page.getByTestId('trading-state')).toBeVisible();

  await page.getByRole('link', { name: 'Strategies' }).click();
  const rsi = page.getByTestId('strategies').locator('tr[data-strategy="rsi-dip"]');
  await expect(page.getByTestId('strategies').locator('tr[data-strategy="ma-cross-5-20"]')).toContainText('enabled');
  await expect(rsi).toContainText('disabled');
  await expect(page.getByTestId('models')).toContainText('No models yet');

  // Enabling without a reason is refused by the server with the reason it needs.
  await rsi.getByRole('button', { name: 'Enable' }).click();
  await expect(page.getByTestId('strategy-error')).toContainText('reason');
  await page.getByLabel(/Reason for a change/).fill('e2e: trying the RSI dip');
  await rsi.getByRole('button', { name: 'Enable' }).click();
  await expect(rsi).toContainText('enabled');
  await rsi.getByRole('button', { name: 'Disable' }).click();
  await expect(rsi).toContainText('disabled');
  await expect(rsi).toContainText('v3');

  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByTestId('audit').locator('tr[data-action="strategy.update"]').first()).toContainText('e2e: trying the RSI dip');
});
