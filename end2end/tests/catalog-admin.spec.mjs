import { test, expect } from '@playwright/test';
import { ADMIN, USER } from '../support/env.mjs';
import { signIn, waitForHydration } from '../support/session.mjs';

/** Clicks `button` and waits for the server function it posts to answer. */
async function submit(page, button) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/api/')),
    button.click(),
  ]);
  return response;
}

// A Super Admin edits an existing entitlement from its app's page: the form is filled with the
// current values, a refused edit keeps what was typed, and a saved edit is there after a reload.
test('an admin edits an entitlement and sees the change after reloading', async ({ page }) => {
  const suffix = Date.now().toString().slice(-6);
  const appName = `Warehouse ${suffix}`;
  const slug = `warehouse-${suffix}`;
  await signIn(page, ADMIN, '/apps');

  const newApp = page.locator('#new-app');
  await newApp.getByLabel('Name').fill(appName);
  await newApp.getByLabel('Owners (emails, comma separated)').fill(ADMIN.email);
  await submit(page, page.getByRole('button', { name: 'Add app' }));
  await expect(page.locator(`[data-app=${slug}]`)).toBeVisible();

  await page.goto(`/apps/${slug}`);
  await waitForHydration(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(appName);
  const add = page.locator('#new-entitlement');
  await add.getByLabel('Display name').fill('Loader admin');
  await add.getByLabel('Maximum length (e.g. 7d; "indefinite")').fill('7d');
  await submit(page, add.getByRole('button', { name: 'Add entitlement' }));
  const shown = page.locator('[data-entitlement=loader-admin]');
  await expect(shown.locator('[data-field=max]')).toHaveText('1 week');
  await expect(shown.locator('[data-field=alias]')).toHaveText('—');

  // The edit form starts from the current values.
  const edit = page.locator('[data-edit-entitlement=loader-admin]');
  await edit.locator('summary').click();
  await expect(edit.getByLabel('Display name')).toHaveValue('Loader admin');
  await expect(edit.getByLabel('Maximum length')).toHaveValue('1 week');

  // A refused edit says which field is wrong and keeps everything typed.
  await edit.getByLabel('Alias').fill('wh-loader');
  await edit.getByLabel('Maximum length').fill('three days');
  const refused = await submit(page, edit.getByRole('button', { name: 'Save entitlement' }));
  expect(refused.status()).toBe(422);
  await expect(edit.getByRole('alert')).toContainText('maximum length');
  await expect(edit.getByLabel('Alias')).toHaveValue('wh-loader');
  await expect(edit.getByLabel('Maximum length')).toHaveValue('three days');

  await edit.getByLabel('Maximum length').fill('3d');
  const saved = await submit(page, edit.getByRole('button', { name: 'Save entitlement' }));
  expect(saved.ok()).toBeTruthy();
  await expect(page.getByRole('status')).toContainText('Entitlement saved');

  await page.reload();
  await waitForHydration(page);
  await expect(shown.locator('[data-field=alias]')).toHaveText('wh-loader');
  await expect(shown.locator('[data-field=max]')).toHaveText('3 days');
  await edit.locator('summary').click();
  await expect(edit.getByLabel('Alias')).toHaveValue('wh-loader');
  await expect(edit.getByLabel('Maximum length')).toHaveValue('3 days');

  // The catalog list shows the same configuration.
  await page.goto('/apps');
  await expect(page.locator(`[data-app=${slug}] [data-entitlement=loader-admin] [data-field=alias]`)).toHaveText('wh-loader');
});

// A Super Admin takes one person out of a group; the others stay, and the change survives a reload.
test('an admin removes a member from a group', async ({ page }) => {
  const group = `Night shift ${Date.now().toString().slice(-6)}`;
  await signIn(page, ADMIN, '/admin/directory');

  const addGroup = page.locator('section', { has: page.getByRole('heading', { name: 'Add a group' }) });
  await addGroup.getByLabel('Name').fill(group);
  await addGroup.getByLabel('Members (emails)').fill(`${ADMIN.email}, ${USER.email}`);
  await submit(page, addGroup.getByRole('button', { name: 'Save group' }));

  const card = page.locator(`[data-group="${group}"]`);
  await expect(card.locator('[data-member]')).toHaveCount(2);
  const removed = await submit(page, card.getByRole('button', { name: `Remove ${USER.email} from ${group}` }));
  expect(removed.ok()).toBeTruthy();
  await expect(page.getByRole('status')).toContainText('Member removed');
  await expect(card.locator(`[data-member="${USER.email}"]`)).toHaveCount(0);

  await page.reload();
  await waitForHydration(page);
  await expect(card.locator('[data-member]')).toHaveCount(1);
  await expect(card.locator(`[data-member="${ADMIN.email}"]`)).toBeVisible();
  await expect(page.locator(`tr[data-user="${USER.email}"]`)).not.toContainText(group);
});

// The people table edits a person's directory fields in place (inputs tied to the row's form).
test('an admin edits a person in the directory', async ({ page }) => {
  await signIn(page, ADMIN, '/admin/directory');
  const row = page.locator(`tr[data-user="${USER.email}"]`);
  await row.locator('input[name=department]').fill('Logistics');
  await row.locator('input[name=job_title]').fill('Shift lead');
  await row.locator('input[name=manager_email]').fill(ADMIN.email);
  const saved = await submit(page, row.getByRole('button', { name: 'Save' }));
  expect(saved.ok()).toBeTruthy();
  await expect(page.getByRole('status')).toContainText('Person saved');

  // A manager nobody has is refused, and the row keeps what was typed.
  await row.locator('input[name=manager_email]').fill('nobody@acme.test');
  const refused = await submit(page, row.getByRole('button', { name: 'Save' }));
  expect(refused.status()).toBe(422);
  await expect(page.getByRole('alert')).toContainText('nobody@acme.test');
  await expect(row.locator('input[name=manager_email]')).toHaveValue('nobody@acme.test');

  await page.reload();
  await waitForHydration(page);
  await expect(row.locator('input[name=department]')).toHaveValue('Logistics');
  await expect(row.locator('input[name=job_title]')).toHaveValue('Shift lead');
  await expect(row.locator('input[name=manager_email]')).toHaveValue(ADMIN.email);
});
