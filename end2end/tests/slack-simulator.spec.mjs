import { test, expect } from '@playwright/test';
import { ADMIN, STANDIN_URL, USER } from '../support/env.mjs';
import { signIn, waitForHydration } from '../support/session.mjs';
import { standin, slackUser, allowInAcme } from '../support/standin.mjs';

// The Slack simulator (issue 13 §2, §3): the stand-in's web client over its own state, driving
// the whole just-in-time loop. A person picks who they are, types `/c1 request` in their DM with
// the app, fills the modal (the app from the external select Latch serves, the entitlement, a
// custom length, why) and submits; the approver opens their DM, types a reason and clicks
// Approve; the provisioner (the entitlement names them) gets the assignment with the app's
// instructions and clicks Provisioned; the requester's message reads "Granted until …"; the
// grant expires on its own and the provisioner gets the removal, clicks Deprovisioned, and every
// copy is closed. After the console set-up, every click goes through the stand-in's driver,
// signed as Slack signs it; nothing here talks to Latch but the simulator.

// The specs share one Latch (and one stand-in): names are this run's own.
const RUN = Date.now().toString(36);
const APP = `Simulator Cloud ${RUN}`;
const ENTITLEMENT = `sim-reader-${RUN}`;
const WHY = 'Read the logs for INC-99 <b>now</b>';
const REASON = 'Fine for the incident';
// Markdown the provisioner reads as Slack mrkdwn in their assignment.
const INSTRUCTIONS = 'Add them to **log-readers** in the [runbook](https://wiki.acme.test/logs)';
// The shortest length Latch grants (domain/duration.rs: MIN_GRANT_SECS), typed as "Custom…".
const LENGTH = '5m';
const LENGTH_WORDS = '5 minutes';

// The test waits minutes for the expiry; a step that cannot happen should fail in seconds.
test.use({ actionTimeout: 30_000 });

/** Opens the simulator as `name` and their DM with the app. */
async function simulatorAs(page, name) {
  await page.goto(`${STANDIN_URL}/simulator`);
  await page.getByRole('link', { name, exact: true }).click();
  await page.locator('nav.sidebar a.nav', { hasText: /^Latch$/ }).click();
  await expect(page.locator('#title')).toHaveText('Latch');
}

/** `name` as Slack shows a mention of them: "@Avery Admin". */
const mention = (name) => `@${name}`;

/** A message's field ("State", "Length", …) as the simulator shows it. */
function field(message, label) {
  return message.locator('.field', { has: message.page().locator('b', { hasText: new RegExp(`^${label}$`) }) });
}

test('the whole access loop in the Slack simulator: /c1 request, approval, provisioning, Granted, expiry and the removal', async ({ page, request, browser }) => {
  // The grant lasts the shortest length Latch allows (5 minutes) before it expires on its own;
  // the rest (four people's pages, the catalog set up through the console) takes about a minute,
  // more when the specs before it left the shared Latch busy.
  test.setTimeout(9 * 60_000);

  // An admin puts an app they own in the catalog, with instructions for its provisioners, and
  // an entitlement that names its provisioner (the admin: Pat may not provision their own access).
  await signIn(page, ADMIN, '/apps');
  const newApp = page.locator('#new-app');
  await newApp.getByLabel('Name').fill(APP);
  await newApp.getByLabel('Owners (emails, comma separated)').fill(ADMIN.email);
  await newApp.getByLabel('Instructions (Markdown, shown to requesters and provisioners)').fill(INSTRUCTIONS);
  await page.getByRole('button', { name: 'Add app' }).click();
  await expect(page.locator('#new-entitlement select[name=app_id] option', { hasText: APP })).toHaveCount(1);
  const entitlement = page.locator('#new-entitlement');
  await entitlement.locator('select[name=app_id]').selectOption({ label: APP });
  await entitlement.getByLabel('Display name').fill(ENTITLEMENT);
  await entitlement.getByLabel('Maximum length (e.g. 7d; "indefinite")').fill('1d');
  await entitlement.locator('select[name=provisioning]').selectOption('manual');
  await entitlement.getByLabel('Provisioners (emails; empty: the app owners)').fill(ADMIN.email);
  await page.getByRole('button', { name: 'Add entitlement' }).click();
  await expect(page.locator(`[data-entitlement="${ENTITLEMENT}"]`)).toBeVisible();

  // Acme's Slack is connected: a spec before this one may have connected it already.
  await page.goto('/admin/settings/notifications');
  await waitForHydration(page);
  const acmeConnected = page.locator('.slack-installation[data-status=connected]', { hasText: 'Acme' });
  if (await acmeConnected.count() === 0) {
    await page.locator('#slack-connect').click();
    await page.getByRole('link', { name: 'Add to Slack' }).click();
    await allowInAcme(page);
    await expect(page).toHaveURL(/\/admin\/settings\/notifications\?slack=connected/);
  }
  await expect(acmeConnected).toHaveCount(1);
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
  await modal.getByLabel('What app do you need?').fill(APP);
  await modal.getByRole('button', { name: APP, exact: true }).click();
  await expect(modal.locator('.external-picked')).toHaveText(APP);
  const entitlementSelect = modal.getByLabel('What entitlement do you need?');
  await expect(entitlementSelect.locator('option', { hasText: ENTITLEMENT })).toHaveCount(1);
  await entitlementSelect.selectOption(
    await entitlementSelect.locator('option', { hasText: ENTITLEMENT }).getAttribute('value'),
  );
  // The shortest grant there is: "Custom…", then the custom length box Latch adds to the modal.
  const lengthSelect = modal.getByLabel('Length of access?');
  await expect(lengthSelect.locator('option', { hasText: 'Custom…' })).toHaveCount(1);
  await lengthSelect.selectOption(await lengthSelect.locator('option', { hasText: 'Custom…' }).getAttribute('value'));
  const customLength = modal.getByLabel('Custom length');
  await expect(customLength).toBeVisible();
  await customLength.fill(LENGTH);
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
  await expect(field(requestMessage, 'Length')).toContainText(LENGTH_WORDS);
  await expect(field(requestMessage, 'State')).toContainText('Awaiting approval');
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
  // The approver's copy closes: the decision, no buttons left.
  await expect(approval).toContainText(`Approved by ${mention(ADMIN.name)}`, { timeout: 20_000 });
  await expect(approval.getByRole('button')).toHaveCount(0);

  // Pat's message about the request is edited in place to show the decision (approved, so on to
  // provisioning by the entitlement's provisioner).
  await expect(field(requestMessage, 'State')).toContainText(`Awaiting provisioning from ${mention(ADMIN.name)}`, { timeout: 20_000 });
  await expect(requestMessage).not.toContainText('Awaiting approval');
  await expect(requestMessage).toContainText('(edited)');

  // The provisioner's assignment, in their DM: the request, the app's instructions as Slack
  // formats them, Provisioned / Won't do.
  const provisioning = avery.locator('#pane .message', { hasText: 'You have a new provisioning assignment' })
    .filter({ hasText: APP });
  await expect(provisioning).toBeVisible({ timeout: 20_000 });
  await expect(provisioning).toContainText(WHY);
  await expect(provisioning).toContainText('Provisioner instructions');
  await expect(provisioning).toContainText('Add them to log-readers in the runbook');
  await expect(provisioning.locator('b', { hasText: 'log-readers' })).toHaveCount(1);
  await expect(provisioning.getByRole('link', { name: 'runbook' })).toHaveAttribute('href', 'https://wiki.acme.test/logs');
  await expect(provisioning.getByRole('button', { name: "Won't do" })).toBeVisible();
  await provisioning.getByRole('button', { name: 'Provisioned' }).click();
  await expect(avery.locator('#notice')).toBeHidden();

  // The provisioner's copy says it is done, with nothing left to click.
  await expect(provisioning).toContainText(`Provisioned by ${mention(ADMIN.name)}`, { timeout: 20_000 });
  await expect(provisioning.getByRole('button')).toHaveCount(0);
  await expect(provisioning).toContainText('(edited)');

  // Pat's message now says the access is granted, until when, with nothing to cancel.
  await expect(field(requestMessage, 'State')).toContainText('Granted until', { timeout: 20_000 });
  await expect(requestMessage).not.toContainText('Awaiting provisioning');
  await expect(requestMessage.getByRole('button')).toHaveCount(0);

  // Its thread tells Pat what happened: the approver's decision with the reason, then the grant.
  await requestMessage.locator('a.thread-link').click();
  const thread = pat.locator('#pane');
  await expect(pat.locator('.thread-back')).toBeVisible();
  await expect(thread).toContainText(new RegExp(`Step 1 approved by ${mention(ADMIN.name)}: ${REASON}`, 'i'), { timeout: 20_000 });
  await expect(thread).toContainText('Approved: provisioning started');
  await expect(thread).toContainText('Access granted: it is ready to use', { timeout: 20_000 });
  await pat.locator('.thread-back a').click();
  await expect(requestMessage).toBeVisible();

  // Five minutes later the grant expires by itself (the expiry job runs every 250 ms): Pat's
  // message reads Expired, and Pat is told the access is being removed.
  await expect(field(requestMessage, 'State')).toContainText('Expired', { timeout: 6 * 60_000 });
  await expect(requestMessage).not.toContainText('Granted until');
  const expired = pat.locator('#pane .message', { hasText: 'Your access has expired' })
    .filter({ hasText: `${APP} — ${ENTITLEMENT}` });
  await expect(expired).toBeVisible({ timeout: 20_000 });
  await expect(expired).toContainText('Your access has expired and is being removed');
  await expect(expired.getByRole('button')).toHaveCount(0);

  // The provisioner gets the removal: Deprovisioned / Won't deprovision, with the instructions.
  const removal = avery.locator('#pane .message', { hasText: 'You have a new deprovisioning assignment' })
    .filter({ hasText: APP });
  await expect(removal).toBeVisible({ timeout: 20_000 });
  await expect(removal).toContainText('Add them to log-readers in the runbook');
  await expect(removal.getByRole('button', { name: "Won't deprovision" })).toBeVisible();
  await removal.getByRole('button', { name: 'Deprovisioned', exact: true }).click();
  await expect(avery.locator('#notice')).toBeHidden();

  // Every copy is closed: the removal says who removed it, Pat's notice that the access is
  // gone, and nothing is left to click anywhere.
  await expect(removal).toContainText(`Deprovisioned by ${mention(ADMIN.name)}`, { timeout: 20_000 });
  await expect(removal.getByRole('button')).toHaveCount(0);
  await expect(provisioning).toContainText(`Provisioned by ${mention(ADMIN.name)}`);
  await expect(provisioning.getByRole('button')).toHaveCount(0);
  await expect(approval).toContainText(`Approved by ${mention(ADMIN.name)}`);
  await expect(approval.getByRole('button')).toHaveCount(0);
  await expect(expired).toContainText('Your access has expired and was removed', { timeout: 20_000 });
  await expect(expired.getByRole('button')).toHaveCount(0);
  await expect(field(requestMessage, 'State')).toContainText('Expired');
  await expect(requestMessage.getByRole('button')).toHaveCount(0);
  await expect(pat.locator('#notice')).toBeHidden();
  await expect(avery.locator('#notice')).toBeHidden();
});
