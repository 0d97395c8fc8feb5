// The admin journey: add a user on the Admin page (a wrong password in the confirmation is refused and the
// dialog stays), add an API key (shown masked only), find the changes in the audit log, then sign in as that user and see a trader's console —
// no Admin page, no resume. The Admin page is screenshotted and checked with axe.
import { expect, test } from '@playwright/test';
import { checkPage, readStack, signIn } from './stack-env';

test('an admin adds a trader, the audit log shows it, and the trader signs in without admin rights', async ({ page }) => {
  const stack = readStack();
  const email = `trader-${Date.now()}@example.com`;

  await page.goto('/login');
  await signIn(page, stack);
  await page.getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { name: 'Users and roles' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Users' }).locator(`tr[data-email="${stack.admin.email}"]`)).toContainText('(you)');
  await checkPage(page, 'admin');

  const form = page.getByRole('form', { name: 'Add a user' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Name').fill('E2E Trader');
  await form.getByLabel('Role').selectOption('trader');
  await form.getByRole('button', { name: 'Generate' }).click();
  const password = await form.getByLabel(/Initial password/).inputValue();
  expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
  await form.getByRole('button', { name: 'Add user…' }).click();

  const confirm = page.getByRole('dialog', { name: 'Add user' });
  await confirm.getByLabel(/Your password/).fill('not-the-admin-password');
  await confirm.getByRole('button', { name: 'Add user' }).click();
  await expect(confirm.getByRole('alert')).toHaveText('wrong password');
  await confirm.getByLabel(/Your password/).fill(stack.admin.password);
  await confirm.getByRole('button', { name: 'Add user' }).click();
  await expect(confirm).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: `Added ${email}` })).toBeVisible();
  const row = page.getByRole('table', { name: 'Users' }).locator(`tr[data-email="${email}"]`);
  await expect(row).toContainText('active');
  await expect(row.getByLabel(`Role of ${email}`)).toHaveValue('trader');

  // An API key: stored encrypted as pending and shown masked only (its secret is not in the page).
  const polygonKey = `e2e${Date.now()}SECRETKEY9F3A`;
  const keyForm = page.getByRole('form', { name: 'Add an API key' });
  await keyForm.getByLabel('Provider').selectOption('polygon');
  await keyForm.getByLabel('API key').fill(polygonKey);
  await keyForm.getByRole('button', { name: 'Add key…' }).click();
  const addKey = page.getByRole('dialog', { name: 'Add Polygon key' });
  await addKey.getByLabel(/Your password/).fill(stack.admin.password);
  await addKey.getByRole('button', { name: 'Add key' }).click();
  await expect(addKey).toBeHidden();
  const keyRow = page.getByRole('table', { name: 'API keys' }).locator('tr[data-key$="9F3A"]');
  await expect(keyRow).toContainText('pending');
  expect(await page.content()).not.toContain(polygonKey);

  await page.getByRole('link', { name: 'Audit log' }).click();
  const created = page.getByTestId('audit').locator('tr[data-action="user.create"]').filter({ hasText: email });
  await expect(created).toContainText(stack.admin.email);
  await expect(created).toContainText('"role":"trader"');
  await expect(page.getByTestId('audit').locator('tr[data-action="auth.reauth-failed"]').first()).toContainText('user.create');
  await expect(page.getByTestId('audit').locator('tr[data-action="keys.add"]').first()).toContainText('…9F3A');
  expect(await page.getByTestId('audit').textContent()).not.toContain(password);
  expect(await page.getByTestId('audit').textContent()).not.toContain(polygonKey);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/login/);
  await signIn(page, { ...stack, admin: { email, password } });
  await expect(page.locator('.who')).toContainText(email);
  await expect(page.locator('.who .role')).toHaveText('trader');
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Resume trading' })).toHaveCount(0);
  await page.goto('/admin');
  await expect(page.getByText('This page is for admins (you are trader)')).toBeVisible();
});
