// The Readiness page as an admin, keyboard only: every check not run at first (word and symbol, not colour alone),
// "Run now" on one check shows its verdict, age and evidence; the live switch is disabled saying which checks are not
// pass. Screenshot and axe.
import { expect, test } from '@playwright/test';
import { checkPage, readStack, signIn } from './stack-env';

test('readiness: see each check, run one now, the live switch held back with the reason', async ({ page }) => {
  const stack = readStack();
  await page.goto('/login');
  await signIn(page, stack);
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Readiness' }).click();
  await expect(page).toHaveURL(/\/readiness$/);
  await expect(page.getByTestId('readiness-verdict')).toContainText('✗ Not ready to go live');

  const row = page.getByTestId('readiness-database').locator('tr[data-check="infra.headroom"]');
  await expect(row).toHaveAttribute('data-status', /^(not-run|pass|fail|stale)$/);
  const run = row.getByRole('button', { name: /Run .* now/ });
  await run.focus();
  await page.keyboard.press('Enter');
  await expect(row).toHaveAttribute('data-status', 'pass');
  await expect(row).toContainText('Pass');
  await expect(row).toContainText(stack.admin.email);
  await row.getByText('Evidence').focus();
  await page.keyboard.press('Enter');
  await expect(row.locator('details')).toHaveAttribute('open', '');
  await expect(row).toContainText('diskFreePct');

  const goLive = page.getByRole('button', { name: 'Go live' });
  await expect(goLive).toBeDisabled();
  await expect(page.getByText(/^Go live is disabled: \d+ check\(s\) not pass: /)).toBeVisible();
  await expect(page.getByTestId('broker-account')).toHaveText('paper');
  await checkPage(page, 'readiness');
});
