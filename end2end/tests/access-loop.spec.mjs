import { test, expect } from '@playwright/test';
import { ADMIN, USER } from '../support/env.mjs';
import { signIn, waitForHydration } from '../support/session.mjs';

// The JIT loop in the browser: an admin puts an app in the catalog, a person requests access,
// the app owner approves it and provisions it by hand, and the person then holds the access.
test('a person requests access, the app owner approves and provisions it', async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, ADMIN, '/apps');

  await admin.locator('#new-app').getByLabel('Name').fill('Loop Cloud');
  await admin.locator('#new-app').getByLabel('Owners (emails, comma separated)').fill(ADMIN.email);
  await admin.getByRole('button', { name: 'Add app' }).click();
  await expect(admin.locator('#new-entitlement select[name=app_id] option', { hasText: 'Loop Cloud' })).toHaveCount(1);

  const entitlement = admin.locator('#new-entitlement');
  await entitlement.locator('select[name=app_id]').selectOption({ label: 'Loop Cloud' });
  await entitlement.getByLabel('Display name').fill('prod-admin');
  await entitlement.getByLabel('Maximum length (e.g. 7d; "indefinite")').fill('1d');
  await admin.getByRole('button', { name: 'Add entitlement' }).click();
  await expect(admin.locator('[data-entitlement=prod-admin]')).toBeVisible();

  // The requester asks for four hours.
  const person = await (await browser.newContext()).newPage();
  await signIn(person, USER, '/requests');
  const form = person.locator('#request-access');
  const option = form.locator('select[name=entitlement_id] option', { hasText: 'prod-admin' });
  await form.locator('select[name=entitlement_id]').selectOption(await option.getAttribute('value'));
  await form.getByLabel('Length of access').fill('4h');
  await form.getByLabel('Justification').fill('Rotate the payment keys (INC-42)');
  await form.getByRole('button', { name: 'Request access' }).click();
  const created = person.getByRole('status').filter({ hasText: 'Created' });
  await expect(created).toBeVisible();
  const number = (await created.getByRole('link').textContent()).trim();

  // The app owner approves from "Assigned to me", then marks the provisioning task done.
  await admin.goto('/requests');
  const assigned = admin.locator('#assigned');
  await expect(assigned).toContainText(number);
  // The decision is a server-function call; wait for its answer before reloading.
  await Promise.all([
    admin.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/api/') && r.ok()),
    assigned.getByRole('button', { name: 'Approve' }).first().click(),
  ]);
  const tasks = admin.locator('section', { has: admin.getByRole('heading', { name: 'Provisioning tasks' }) });
  await admin.reload();
  await waitForHydration(admin);
  await expect(tasks).toContainText('prod-admin');
  await Promise.all([
    admin.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/api/') && r.ok()),
    tasks.getByRole('button', { name: 'Provisioned' }).first().click(),
  ]);

  // The requester now holds the access, and the request's history tells the whole story.
  await person.goto('/requests');
  await expect(person.locator('section', { has: person.getByRole('heading', { name: 'My access' }) })).toContainText('prod-admin');
  await person.goto(`/requests/${number}`);
  await expect(person.getByRole('heading', { level: 1 })).toContainText(number);
  await expect(person.getByRole('heading', { name: 'History' })).toBeVisible();
});
