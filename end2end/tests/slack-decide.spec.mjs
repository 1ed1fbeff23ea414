import { test, expect } from '@playwright/test';
import { ADMIN, LATCH_URL, USER } from '../support/env.mjs';
import { signIn } from '../support/session.mjs';
import { standin, slackUser, allowInAcme } from '../support/standin.mjs';

// Deciding in Slack (issue 11 §6): a person requests access in the console, the app owner gets
// "Your approval is required" as a DM in Slack, types a reason in its Approval reason box and
// clicks Approve (the stand-in's driver plays the reviewer, signing what it sends as Slack
// does), and the requester's request page in the console shows the decision, who made it and
// why.

const APP = 'Decide Cloud';
const ENTITLEMENT = 'db-reader';
const WHY = 'Read the replica for the outage report (INC-88)';
const REASON = 'Fine for the report, read only';

/** Every element of a message's blocks, with its block id. */
function elements(message) {
  return (message.blocks || []).flatMap((b) => [
    ...(b.elements || []).map((e) => ({ ...e, block_id: b.block_id })),
    ...(b.element ? [{ ...b.element, block_id: b.block_id }] : []),
  ]);
}

/** The approval DM for request `number` Latch sent to Slack user `userId`, once it is there. */
async function approvalMessage(request, userId, number) {
  const dms = new Set((await standin(request, '/_standin/channels'))
    .filter((c) => c.is_im && (c.members || []).includes(userId)).map((c) => c.id));
  const messages = Object.values(await standin(request, '/_standin/messages')).flat();
  return messages.find((m) => dms.has(m.channel) && !m.thread_ts
    && elements(m).some((e) => e.action_id === 'request.approve')
    && JSON.stringify(m.blocks).includes(`/requests/${number}|`));
}

test('a reviewer approves in Slack with a reason and the requester sees the decision in the console', async ({ page, request, browser }) => {
  // An admin puts an app they own in the catalog (its owners approve by default)...
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

  // ... and connects the Acme workspace, where both people have accounts under their emails.
  await page.goto('/admin/settings/notifications');
  await page.locator('#slack-connect').click();
  await page.getByRole('link', { name: 'Add to Slack' }).click();
  await allowInAcme(page);
  await expect(page).toHaveURL(/\/admin\/settings\/notifications\?slack=connected/);
  const acme = (await standin(request, '/_standin/workspaces')).find((t) => t.name === 'Acme');
  const reviewer = await slackUser(request, acme.id, ADMIN, 'avery');
  await slackUser(request, acme.id, USER, 'pat');

  // Pat asks for the access in the console.
  const person = await (await browser.newContext()).newPage();
  await signIn(person, USER, '/requests');
  const form = person.locator('#request-access');
  const option = form.locator('select[name=entitlement_id] option', { hasText: ENTITLEMENT });
  await form.locator('select[name=entitlement_id]').selectOption(await option.getAttribute('value'));
  await form.getByLabel('Length of access').fill('4h');
  await form.getByLabel('Justification').fill(WHY);
  await form.getByRole('button', { name: 'Request access' }).click();
  const created = person.getByRole('status').filter({ hasText: 'Created' });
  await expect(created).toBeVisible();
  const number = (await created.getByRole('link').textContent()).trim();

  // The reviewer's "Your approval is required" DM arrives with a reason box and Approve.
  await expect.poll(async () => Boolean(await approvalMessage(request, reviewer.id, number)), { timeout: 20_000 })
    .toBe(true);
  const message = await approvalMessage(request, reviewer.id, number);
  expect(message.text).toMatch(/Your approval is required/);
  const surface = { type: 'message', channel_id: message.channel, message_ts: message.ts };
  const interactivity = `${LATCH_URL}/slack/interactivity`;
  const approve = elements(message).find((e) => e.action_id === 'request.approve');

  // They type why and click Approve.
  await standin(request, '/_standin/driver/act', {
    app_url: interactivity, user_id: reviewer.id, surface,
    block_id: 'approval_reason', action_id: 'approval_reason', input: { kind: 'text', value: REASON },
  });
  const clicked = await standin(request, '/_standin/driver/act', {
    app_url: interactivity, user_id: reviewer.id, surface,
    block_id: approve.block_id, action_id: 'request.approve', input: { kind: 'click' },
  });
  expect(clicked.dispatched?.acked, JSON.stringify(clicked)).toBe(true);

  // Pat's request page shows it: approved by the reviewer, with their reason.
  await expect.poll(async () => {
    await person.goto(`/requests/${number}`);
    return person.locator('.history li[data-action="request.step_approved"]').count();
  }, { timeout: 20_000 }).toBe(1);
  const decided = person.locator('.history li[data-action="request.step_approved"]');
  await expect(decided).toContainText(ADMIN.name);
  await expect(decided).toContainText(REASON);
  await expect(person.locator('dd.status')).not.toHaveText(/Awaiting approval/i);
});
