import { test, expect } from '@playwright/test';
import { ADMIN, STANDIN_URL, USER } from '../support/env.mjs';
import { signIn } from '../support/session.mjs';

// The Slack simulator (issue 13 §2): the stand-in's web client over its own state. A person
// picks who they are, types `/c1 request` in their DM with the app, fills the modal (the app
// from the external select Latch serves, the entitlement, the length, why) and submits; the
// approver opens their DM, types a reason and clicks Approve; the requester's message is edited
// in place to show the decision. Every click goes through the stand-in's driver, signed as
// Slack signs it; nothing here talks to Latch but the simulator.

const APP = 'Simulator Cloud';
const ENTITLEMENT = 'sim-reader';
const WHY = 'Read the logs for INC-99 <b>now</b>';
const REASON = 'Fine for the incident';

/** Calls one of the stand-in's `/_standin` routes (POST with `body`, else GET): its `result`. */
async function standin(request, path, body) {
  const response = body === undefined
    ? await request.get(`${STANDIN_URL}${path}`)
    : await request.post(`${STANDIN_URL}${path}`, { data: body });
  const answer = await response.json();
  expect(answer.ok, `${path}: ${JSON.stringify(answer)}`).toBe(true);
  return answer.result;
}

/** The Slack user of `account` in workspace `teamId`, created when missing. */
async function slackUser(request, teamId, account, handle) {
  const existing = (await standin(request, `/_standin/users?team=${teamId}`))
    .find((u) => u.email === account.email);
  return existing || standin(request, '/_standin/users', {
    team_id: teamId, name: handle, real_name: account.name, email: account.email,
  });
}

/** Opens the simulator as `name` and their DM with the app. */
async function simulatorAs(page, name) {
  await page.goto(`${STANDIN_URL}/simulator`);
  await page.getByRole('link', { name, exact: true }).click();
  await page.locator('nav.sidebar a.nav', { hasText: /^Latch$/ }).click();
  await expect(page.locator('#title')).toHaveText('Latch');
}

test('a request made and approved in the Slack simulator: /c1 request, the modal, the approver\'s DM, the decision in place', async ({ page, request, browser }) => {
  // Four people's pages and a catalog set up through the console: more than the default minute
  // when the specs before it left the shared Latch busy.
  test.setTimeout(180_000);
  // An admin puts an app they own in the catalog and connects the Acme workspace.
  await signIn(page, ADMIN, '/apps');
  await page.locator('#new-app').getByLabel('Name').fill(APP);
  await page.locator('#new-app').getByLabel('Owners (emails, comma separated)').fill(ADMIN.email);
  await page.getByRole('button', { name: 'Add app' }).click();
  await expect(page.locator('#new-entitlement select[name=app_id] option', { hasText: APP })).toHaveCount(1);
  const entitlement = page.locator('#new-entitlement');
  await entitlement.locator('select[name=app_id]').selectOption({ label: APP });
  await entitlement.getByLabel('Display name').fill(ENTITLEMENT);
  await entitlement.getByLabel('Maximum length (e.g. 7d; "indefinite")').fill('1d');
  await page.getByRole('button', { name: 'Add entitlement' }).click();
  await expect(page.locator(`[data-entitlement=${ENTITLEMENT}]`)).toBeVisible();
  await page.goto('/admin/settings/notifications');
  await page.locator('#slack-connect').click();
  await page.getByRole('link', { name: 'Add to Slack' }).click();
  await page.getByLabel(/Where should .* post\?/).selectOption({ label: '#it-access (Acme)' });
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page).toHaveURL(/\/admin\/settings\/notifications\?slack=connected/);
  const acme = (await standin(request, '/_standin/workspaces')).find((t) => t.name === 'Acme');
  await slackUser(request, acme.id, ADMIN, 'avery');
  await slackUser(request, acme.id, USER, 'pat');

  // Pat, in the simulator, types the command in their DM with the app.
  const pat = await (await browser.newContext()).newPage();
  await simulatorAs(pat, USER.name);
  await pat.getByLabel('Message').fill('/c1 request');
  await pat.getByLabel('Message').press('Enter');
  const modal = pat.getByRole('dialog', { name: 'Submit a request' });
  await expect(modal).toBeVisible();

  // The app comes from Latch's options URL as Pat types; the entitlement and length follow.
  await modal.getByLabel('What app do you need?').fill('Simulator');
  await modal.getByRole('button', { name: APP }).click();
  await expect(modal.locator('.external-picked')).toHaveText(APP);
  const entitlementSelect = modal.getByLabel('What entitlement do you need?');
  await expect(entitlementSelect.locator('option', { hasText: ENTITLEMENT })).toHaveCount(1);
  await entitlementSelect.selectOption(
    await entitlementSelect.locator('option', { hasText: ENTITLEMENT }).getAttribute('value'),
  );
  const lengthSelect = modal.getByLabel('Length of access?');
  await expect(lengthSelect.locator('option', { hasText: '4 hours' })).toHaveCount(1);
  await lengthSelect.selectOption(await lengthSelect.locator('option', { hasText: '4 hours' }).getAttribute('value'));
  await modal.getByLabel('Why do you need this access?').fill(WHY);
  await modal.getByRole('button', { name: 'Submit' }).click();

  // The modal closes; Slack shows Pat the confirmation, only to them, with the request's number.
  await expect(modal).toBeHidden();
  const confirmation = pat.locator('#pane .message.ephemeral', { hasText: 'was submitted' });
  await expect(confirmation).toBeVisible();
  await expect(confirmation).toContainText('Only visible to you');
  const number = (await confirmation.getByRole('link').first().textContent()).trim();
  expect(number).toMatch(/^REQ-\d+$/);
  // ... and the request's own message in the DM, which Latch keeps up to date.
  const requestMessage = pat.locator('#pane .message:not(.ephemeral)', { hasText: 'You have created a new access request' })
    .filter({ hasText: APP });
  await expect(requestMessage).toBeVisible({ timeout: 20_000 });
  await expect(requestMessage).toContainText(WHY);
  await expect(requestMessage).toContainText('Awaiting approval');
  await expect(pat.locator('#notice')).toBeHidden();

  // The approver opens their DM: "Your approval is required", a reason box, Approve.
  const avery = await (await browser.newContext()).newPage();
  await simulatorAs(avery, ADMIN.name);
  const approval = avery.locator('#pane .message', { hasText: 'Your approval is required' })
    .filter({ hasText: APP });
  await expect(approval).toBeVisible({ timeout: 20_000 });
  await expect(approval).toContainText(WHY);
  await approval.getByLabel('Approval reason').fill(REASON);
  await approval.getByRole('button', { name: 'Approve' }).click();
  await expect(avery.locator('#notice')).toBeHidden();

  // Pat's message about the request is edited in place to show the decision (approved, so on to
  // provisioning), and its thread says who approved.
  await expect(requestMessage).toContainText('Awaiting provisioning', { timeout: 20_000 });
  await expect(requestMessage).not.toContainText('Awaiting approval');
  await expect(requestMessage).toContainText('(edited)');
  await requestMessage.getByRole('link', { name: /repl/ }).click();
  await expect(pat.locator('#pane')).toContainText(/Approved/, { timeout: 20_000 });
});
