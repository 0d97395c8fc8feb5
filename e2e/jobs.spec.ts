// The Jobs page's scheduled jobs: the definitions of ops/job-definitions.yaml with their schedule and market-hours
// rule; "Run now" needs a reason, then runs the job (after its dependencies) on a scheduler worker, and its last
// result appears without a reload.
import { expect, test } from '@playwright/test';
import { ExtraWorkers, readStack, signIn } from './stack-env';

const scheduler = new ExtraWorkers('scheduler worker');

// The stack's workers run only the trading roles: this spec brings the scheduler role.
test.beforeAll(() => scheduler.start(readStack(), 'scheduler'));
test.afterEach(async ({}, info) => scheduler.attachOnFailure(info));
test.afterAll(() => scheduler.stop());

test('scheduled jobs: see the schedule, run one now with a reason, watch it succeed', async ({ page }) => {
  await page.goto('/jobs');
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, readStack());
  await expect(page.getByTestId('trading-state')).toBeVisible();
  await page.getByRole('link', { name: 'Jobs' }).click();
  await expect(page).toHaveURL(/\/jobs$/);

  const jobs = page.getByTestId('scheduled-jobs');
  await expect(jobs.locator('tr[data-job="scanner"]')).toContainText('cron 30 7 * * 1-5 (America/New_York)');
  await expect(jobs.locator('tr[data-job="scanner"]')).toContainText('pre_open (3h before the open)');
  const row = jobs.locator('tr[data-job="partitions_ahead"]');
  await expect(row).toContainText('by hand or as a dependency');
  await expect(row).toContainText('never run');

  const run = row.getByRole('button', { name: 'Run now' });
  await expect(run).toBeDisabled(); // a reason first
  await page.getByLabel(/Reason for an action/).fill('partitions before the month turns');
  await run.click();
  await expect(page.getByRole('status').first()).toContainText('partitions_ahead queued: partitions_ahead');
  await expect(row).toContainText('succeeded', { timeout: 30_000 });
  await expect(row).not.toContainText('never run');
});
