import { test, expect } from '@playwright/test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { ADMIN, USER } from '../support/env.mjs';
import { signIn, waitForHydration } from '../support/session.mjs';
import { allowInAcme } from '../support/standin.mjs';

// An access review campaign in the browser, end to end. Pat holds two entitlements of an app
// (through the real request loop) and is made a Campaign Administrator; Pat creates a campaign
// over the app with Avery (the Super Admin) as named reviewer, picked from the directory,
// validates its scope (2 grants), adds a Slack channel on the Configuration tab, stages and
// starts it. Avery certifies one review, denies the other with a reason and submits (the
// confirmation counts both). Pat ends the campaign and downloads the report as CSV and XLSX: each
// file's SHA-256 is the one shown on the page.

const APP = 'Review Cloud';
const ENTITLEMENTS = ['ledger-read', 'ledger-write'];

/** Waits for the server function a click posts to answer. */
async function posting(page, click) {
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/api/') && r.ok()),
    click(),
  ]);
}

/** The SHA-256 (hex) of a downloaded file. */
async function sha256Of(download) {
  const file = await download.path();
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

test('an owner runs an access review: create, validate, Slack channel, stage, start; a reviewer certifies, denies and submits; the report downloads with its hash', async ({ browser }) => {
  test.setTimeout(240_000);
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, ADMIN, '/apps');

  // The catalog: an app owned by Avery with two entitlements.
  await admin.locator('#new-app').getByLabel('Name').fill(APP);
  await admin.locator('#new-app').getByLabel('Owners (emails, comma separated)').fill(ADMIN.email);
  await admin.getByRole('button', { name: 'Add app' }).click();
  await expect(admin.locator('#new-entitlement select[name=app_id] option', { hasText: APP })).toHaveCount(1);
  for (const name of ENTITLEMENTS) {
    const entitlement = admin.locator('#new-entitlement');
    await entitlement.locator('select[name=app_id]').selectOption({ label: APP });
    await entitlement.getByLabel('Display name').fill(name);
    await entitlement.getByLabel('Maximum length (e.g. 7d; "indefinite")').fill('30d');
    await admin.getByRole('button', { name: 'Add entitlement' }).click();
    await expect(admin.locator(`[data-entitlement=${name}]`)).toBeVisible();
  }

  // Pat asks for both; Avery approves and provisions them: Pat holds two grants.
  const pat = await (await browser.newContext()).newPage();
  await signIn(pat, USER, '/requests');
  for (const name of ENTITLEMENTS) {
    const form = pat.locator('#request-access');
    const option = form.locator('select[name=entitlement_id] option', { hasText: name });
    await form.locator('select[name=entitlement_id]').selectOption(await option.getAttribute('value'));
    await form.getByLabel('Length of access').fill('7d');
    await form.getByLabel('Justification').fill(`Quarter close (${name})`);
    await form.getByRole('button', { name: 'Request access' }).click();
    await expect(pat.getByRole('status').filter({ hasText: 'Created' })).toBeVisible();
    await pat.reload();
    await waitForHydration(pat);
  }
  for (let i = 0; i < ENTITLEMENTS.length; i++) {
    await admin.goto('/requests');
    await waitForHydration(admin);
    await posting(admin, () => admin.locator('#assigned').getByRole('button', { name: 'Approve' }).first().click());
  }
  const tasks = admin.locator('section', { has: admin.getByRole('heading', { name: 'Provisioning tasks' }) });
  for (let i = 0; i < ENTITLEMENTS.length; i++) {
    await admin.reload();
    await waitForHydration(admin);
    await posting(admin, () => tasks.getByRole('button', { name: 'Provisioned' }).first().click());
  }
  await pat.goto('/requests');
  const access = pat.locator('section', { has: pat.getByRole('heading', { name: 'My access' }) });
  for (const name of ENTITLEMENTS) await expect(access).toContainText(name);

  // Avery makes Pat a Campaign Administrator and connects Slack (the stand-in's Acme).
  await admin.goto('/admin/directory');
  await waitForHydration(admin);
  const patRow = admin.locator('tr', { hasText: USER.email });
  await posting(admin, () => patRow.getByRole('button', { name: 'Make Campaign Administrator' }).click());
  await admin.reload();
  await expect(admin.locator('tr', { hasText: USER.email })).toContainText('Campaign Administrator');
  await admin.goto('/admin/settings/notifications');
  await admin.locator('#slack-connect').click();
  await admin.getByRole('link', { name: 'Add to Slack' }).click();
  await allowInAcme(admin);
  await expect(admin).toHaveURL(/\/admin\/settings\/notifications\?slack=connected/);

  // Pat creates the campaign: the reviewer is picked from the directory by name.
  await pat.goto('/access-reviews');
  await waitForHydration(pat);
  await pat.locator('[data-new-campaign] summary').click();
  const create = pat.locator('[data-new-campaign]');
  await create.getByLabel('Name', { exact: true }).fill('Q4 ledger review');
  await create.getByRole('textbox', { name: 'Due date' }).fill('2030-03-31');
  await create.getByLabel('Apps (names, comma-separated)', { exact: true }).fill(APP);
  await create.getByLabel("The holder's manager").uncheck();
  const reviewers = create.locator('[data-people-picker=reviewer_users]');
  const typed = reviewers.getByPlaceholder('Type a name or email');
  await typed.fill('nobody-here');
  await reviewers.getByRole('button', { name: 'Add' }).click();
  await expect(reviewers.getByRole('alert')).toContainText('Nobody in the directory is "nobody-here"');
  await expect(typed).toHaveValue('nobody-here');
  await typed.fill('Avery');
  await expect(reviewers.locator('datalist option')).toHaveCount(1);
  await typed.press('Enter');
  await expect(reviewers.locator(`[data-person="${ADMIN.email}"]`)).toContainText(ADMIN.name);
  await expect(reviewers.locator('input[type=hidden][name=reviewer_users]')).toHaveValue(ADMIN.email);

  // Validate scope: Pat's two grants.
  await create.getByRole('button', { name: 'Validate scope' }).click();
  await expect(create.locator('[data-scope-count]')).toHaveAttribute('data-scope-count', '2');
  await expect(create.locator('[data-scope-count]')).toContainText('2 grants in scope right now.');
  await create.getByRole('button', { name: 'Create draft' }).click();
  await expect(pat).toHaveURL(/\/access-reviews\/[0-9a-f]+$/);
  await waitForHydration(pat);
  const campaignUrl = pat.url();

  // The Configuration tab's Communications: a new Slack channel for the campaign.
  const channel = `q4-ledger-review-${Date.now()}`;
  // The tabs are links the router follows without a full load.
  await pat.getByRole('navigation', { name: 'Campaign' }).getByRole('link', { name: 'Configuration' }).click();
  await expect(pat).toHaveURL(/\?tab=configuration$/);
  const communications = pat.locator('[data-configuration=communications]');
  await communications.getByLabel('Slack channel').fill(channel);
  await posting(pat, () => communications.getByRole('button', { name: 'Add to channel' }).click());
  await expect(communications.locator('[data-channel]')).toContainText(`#${channel}`);

  // Stage, then start: the page follows each change without a reload.
  await pat.getByRole('navigation', { name: 'Campaign' }).getByRole('link', { name: 'Overview' }).click();
  await expect(pat).toHaveURL(campaignUrl);
  await posting(pat, () => pat.locator('button[data-action=stage]').click());
  await expect(pat.locator('h1 .badge')).toHaveAttribute('data-status', 'staged');
  await posting(pat, () => pat.locator('button[data-action=start]').click());
  await expect(pat.locator('h1 .badge')).toHaveAttribute('data-status', 'running');
  await expect(pat.locator('[data-open-reviews] tr[data-review]')).toHaveCount(2);

  // Avery reviews: certifies one, denies the other with a reason, and submits.
  await admin.goto('/access-reviews/mine');
  await waitForHydration(admin);
  const rows = admin.locator('tr[data-review]');
  await expect(rows).toHaveCount(2);
  const first = rows.nth(0);
  const second = rows.nth(1);
  await posting(admin, () => first.getByRole('button', { name: '✓ Certify' }).click());
  await expect(first).toContainText('Pending: ✓ certify');
  await second.locator('input[name=reason]').first().fill('No longer needed');
  await posting(admin, () => second.getByRole('button', { name: '✗ Deny' }).click());
  await expect(second).toContainText('Pending: ✗ deny (No longer needed)');
  await admin.locator('.submit-reviews summary').click();
  await expect(admin.locator('[data-pending]')).toContainText('Submit 2 decisions: 1 certified, 1 denied?');
  await posting(admin, () => admin.getByRole('button', { name: 'Confirm and submit' }).click());
  await expect(admin.locator('[data-submitted]')).toContainText('Submitted 2 reviews: 1 certified, 1 denied.');

  // Pat ends the campaign (nothing is open any more) and downloads the report.
  await pat.reload();
  await waitForHydration(pat);
  await pat.getByLabel('Skipped (the access stays)').check();
  await posting(pat, () => pat.locator('button[data-action=end]').click());
  await expect(pat.locator('h1 .badge')).toHaveAttribute('data-status', 'ended');
  const report = pat.locator('[data-report]');
  for (const [format, label] of [['csv', 'Download CSV'], ['xlsx', 'Download XLSX']]) {
    const shown = (await report.locator(`[data-sha256=${format}]`).textContent()).trim();
    expect(shown).toMatch(/^[0-9a-f]{64}$/);
    const [download] = await Promise.all([
      pat.waitForEvent('download'),
      report.getByRole('link', { name: label }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`\\.${format}$`));
    expect(await sha256Of(download)).toBe(shown);
  }
});
