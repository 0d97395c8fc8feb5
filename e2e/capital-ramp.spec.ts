// The Capital ramp panel on the Risk page, as an admin: a ramp on its second step (the state row as the evaluation
// stores it) shows the step, its caps and why it held; "Evaluate now" runs the real evaluation, which — the stack's
// ops/capital-ramp.yaml being off — lifts the caps, says so, and lists the audited step change. Screenshot and axe.
import { expect, test } from '@playwright/test';
import pg from 'pg';
import { checkPage, readStack, signIn } from './stack-env';

test('the capital ramp panel shows the step, its caps and why; Evaluate now turns an off ramp off', async ({ page }) => {
  const stack = readStack();
  const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
  await db.connect();
  try {
    const state = {
      enabled: true, stepIndex: 1, stepName: 'week-2', stepCount: 5, stepStartedAt: '2025-06-02T20:45:00.000Z', equityAtStepStart: '100000',
      grossExposurePct: 2, orderNotionalPct: 1, minTradingDays: 5, maxGrossExposure: '2000.00', maxOrderNotional: '1000.00',
      verdict: { at: '2025-06-04T20:45:00.000Z', kind: 'held', reason: 'readiness not green: apis.broker stale: last ran 3 days ago', cleanTradingDays: 2 },
    };
    await db.query(`INSERT INTO settings (key, value, "updatedAt") VALUES ('capitalRamp', $1, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [JSON.stringify(state)]);
  } finally {
    await db.end();
  }

  await page.goto('/login');
  await signIn(page, stack);
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Risk' }).click();
  await expect(page).toHaveURL(/\/risk$/);
  const panel = page.getByTestId('capital-ramp');
  await expect(panel.getByRole('heading', { name: 'Capital ramp' })).toBeVisible();
  await expect(panel.getByTestId('ramp-step')).toHaveText('2 of 5: week-2');
  await expect(panel.getByTestId('ramp-gross-cap')).toHaveText('$2,000.00');
  await expect(panel.getByTestId('ramp-order-cap')).toHaveText('$1,000.00');
  await expect(panel.getByTestId('ramp-verdict')).toContainText('held — readiness not green: apis.broker stale: last ran 3 days ago');
  await expect(panel.getByTestId('ramp-steps').locator('tr[aria-current="step"]')).toContainText('week-2');
  await checkPage(page, 'risk-capital-ramp');

  await panel.getByRole('button', { name: 'Evaluate now' }).click();
  await expect(panel.getByTestId('ramp-off')).toBeVisible();
  await expect(panel.getByTestId('ramp-verdict')).toContainText('disabled — turned off in the ramp file (enabled: false): no ramp caps from now');
  await panel.getByText(/^Step changes/).click();
  await expect(panel.getByTestId('ramp-history')).toContainText('ramp.set');
});
