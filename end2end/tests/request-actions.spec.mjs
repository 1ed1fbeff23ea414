import { test, expect } from '@playwright/test';
import { ADMIN, USER } from '../support/env.mjs';
import { signIn, waitForHydration } from '../support/session.mjs';

// Request actions in the browser: escalating to emergency access, and an approver shortening the
// length while approving. The catalog is set up through the admin's server functions (the catalog
// pages have their own spec); the actions under test go through the request pages.

/** Calls a server function as the signed-in user of `page`; returns its JSON answer. */
async function api(page, endpoint, form) {
  const response = await page.request.post(`/api/${endpoint}`, {
    form,
    headers: { Accept: 'application/json' },
  });
  expect(response.ok(), `${endpoint}: ${await response.text()}`).toBeTruthy();
  return response.json();
}

/** An app owned and provisioned by the admin, with one entitlement; returns nothing. */
async function catalog(admin, appName, entitlement, extra = {}) {
  const appId = await api(admin, 'catalog/save_app', { name: appName, owners: ADMIN.email });
  await api(admin, 'catalog/save_entitlement', {
    app_id: appId,
    display_name: entitlement,
    slug: entitlement,
    max_duration: '1d',
    provisioning: 'manual',
    provisioners: ADMIN.email,
    ...extra,
  });
}

/** Files a request through the form; returns its number. */
async function requestAccess(person, entitlement, length, why) {
  await person.goto('/requests');
  await waitForHydration(person);
  const form = person.locator('#request-access');
  const option = form.locator('select[name=entitlement_id] option', { hasText: entitlement });
  await form.locator('select[name=entitlement_id]').selectOption(await option.getAttribute('value'));
  await form.getByLabel('Length of access').fill(length);
  await form.getByLabel('Justification').fill(why);
  await form.getByRole('button', { name: 'Request access' }).click();
  const created = person.getByRole('status').filter({ hasText: 'Created' });
  await expect(created).toBeVisible();
  return (await created.getByRole('link').textContent()).trim();
}

/** Clicks `button` and waits for the server function's successful answer. */
async function submit(page, button) {
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/api/') && r.ok()),
    button.click(),
  ]);
}

test('a requester escalates an open request to emergency access and sees the ⚡ mark', async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, ADMIN, '/requests');
  const policy = JSON.stringify({ name: 'E2E break glass', steps: [{ kind: 'approval', app_owners: true }] });
  const emergencyPolicy = await api(admin, 'policies/save', { policy_json: policy });
  await catalog(admin, 'Escalation Cloud', 'db-root', { emergency_policy: emergencyPolicy });

  const person = await (await browser.newContext()).newPage();
  await signIn(person, USER, '/requests');
  const number = await requestAccess(person, 'db-root', '4h', 'Restore the replica (INC-7)');

  // Asking again as an emergency names the open request, links to it and suggests escalating.
  const form = person.locator('#request-access');
  await form.getByLabel('Justification').fill('Still down');
  await form.getByLabel('Emergency (break-glass) request').check();
  await form.getByRole('button', { name: 'Request access' }).click();
  const refused = person.getByRole('alert').filter({ hasText: 'escalate that request to emergency access' });
  await expect(refused).toBeVisible();
  await expect(refused.getByRole('link', { name: number })).toHaveAttribute('href', `/requests/${number}`);

  await person.goto(`/requests/${number}`);
  await waitForHydration(person);
  const heading = person.getByRole('heading', { level: 1 });
  await expect(heading).toContainText(number);
  await expect(heading).not.toContainText('⚡');
  await submit(person, person.getByRole('button', { name: 'Escalate to emergency access' }));
  // The page refreshes itself: badge on, button gone, history says who escalated.
  await expect(heading).toContainText('⚡ emergency');
  await expect(person.getByRole('button', { name: 'Escalate to emergency access' })).toHaveCount(0);
  await expect(person.locator('.history')).toContainText(`Escalated to emergency access by ${USER.name}`);
  await expect(person.locator('.facts')).toContainText('E2E break glass');

  // Marked in My requests and in the approver's Assigned to me.
  await person.goto('/requests');
  await expect(person.locator(`#my-requests [data-request="${number}"]`)).toContainText('⚡ emergency');
  await admin.goto('/requests');
  await expect(admin.locator(`#assigned [data-request="${number}"]`)).toContainText('⚡ emergency');
});

test('an approver shortens the length while approving and the requester gets the shorter grant', async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, ADMIN, '/requests');
  await catalog(admin, 'Shorten Cloud', 'short-admin');

  const person = await (await browser.newContext()).newPage();
  await signIn(person, USER, '/requests');
  const number = await requestAccess(person, 'short-admin', '4h', 'Rotate the keys (INC-8)');
  // No emergency toggle for an entitlement without an emergency policy; it comes back for one with.
  const toggle = person.locator('#request-access').getByLabel('Emergency (break-glass) request');
  await expect(toggle).toHaveCount(0);
  const select = person.locator('#request-access select[name=entitlement_id]');
  await select.selectOption(await select.locator('option', { hasText: 'db-root' }).getAttribute('value'));
  await expect(toggle).toBeVisible();

  // The app owner approves from Assigned to me, shortening four hours to two.
  await admin.goto('/requests');
  await waitForHydration(admin);
  const item = admin.locator(`#assigned [data-request="${number}"]`);
  await expect(item).toContainText('4 hours');
  await item.getByLabel('Shorten to').fill('2h');
  await submit(admin, item.getByRole('button', { name: 'Approve' }));
  await admin.reload();
  // Before hydration a click would post the plain HTML form instead of calling the server function.
  await waitForHydration(admin);
  const tasks = admin.locator('#tasks li', { hasText: 'short-admin' });
  await expect(tasks).toHaveCount(1);
  await submit(admin, tasks.getByRole('button', { name: 'Provisioned' }));

  // My requests has live status: the requester's open page catches up without a reload, and
  // My access follows once the request closes.
  await expect(person.locator(`#my-requests [data-request="${number}"] .status`)).toHaveText('granted', { timeout: 15_000 });
  await expect(person.locator('#my-access li', { hasText: 'short-admin' })).toBeVisible();

  // The requester holds the access for two hours, not four, and the history says why.
  await person.goto('/requests');
  const access = person.locator('#my-access li', { hasText: 'short-admin' });
  await expect(access).toContainText(/expires in 1 hour/);
  await person.goto(`/requests/${number}`);
  await expect(person.locator('.facts')).toContainText('2 hours (asked for 4 hours)');
  await expect(person.locator('.history')).toContainText(`Length changed from 4 hours to 2 hours by ${ADMIN.name}`);
});
