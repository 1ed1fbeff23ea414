import { test, expect } from '@playwright/test';
import { ADMIN, LATCH_URL, USER } from '../support/env.mjs';
import { signIn } from '../support/session.mjs';
import { standin, allowInAcme } from '../support/standin.mjs';

// Where the web and Slack meet: a person files a request through `/c1 request` in Slack (the
// stand-in's driver plays the person: types the command, searches the app, picks the entitlement
// and the length, writes why, submits), and the request is in the console with its history
// saying it came from Slack. The stand-in signs every request it sends with the signing secret
// Latch is given (support/start-standin.mjs), as Slack does.

const APP = 'Front Door Cloud';
const ENTITLEMENT = 'deploy-bot';
const WHY = 'Ship the hotfix from Slack (INC-77)';

/** The person's open request modal, as the stand-in shows it now. */
async function openModal(request, userId) {
  const views = await standin(request, `/_standin/views?user=${userId}`);
  return views.filter((v) => v.kind === 'modal' && !v.closed).at(-1);
}

function block(view, blockId) {
  return view?.definition?.blocks?.find((b) => b.block_id === blockId);
}

/** Every option of a select, groups flattened. */
function options(element) {
  return [...(element?.options || []), ...(element?.option_groups || []).flatMap((g) => g.options)];
}

test('a request made with /c1 request in Slack shows in the console, its history saying it came from Slack', async ({ page, request }) => {
  // An admin puts an app with a time-bound entitlement in the catalog.
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

  // ... and connects the Acme workspace (Add to Slack, the stand-in's consent page).
  await page.goto('/admin/settings/notifications');
  await page.locator('#slack-connect').click();
  await page.getByRole('link', { name: 'Add to Slack' }).click();
  await allowInAcme(page);
  await expect(page).toHaveURL(/\/admin\/settings\/notifications\?slack=connected/);

  // Pat is in Acme's Slack under the email Latch knows them by.
  const acme = (await standin(request, '/_standin/workspaces')).find((t) => t.name === 'Acme');
  const existing = (await standin(request, `/_standin/users?team=${acme.id}`)).find((u) => u.email === USER.email);
  const pat = existing || await standin(request, '/_standin/users', {
    team_id: acme.id, name: 'pat', real_name: USER.name, email: USER.email,
  });
  // Pat types the command in a channel the app was invited to (Latch confirms there,
  // ephemerally, which Slack refuses in a channel the bot is not in).
  const install = (await standin(request, '/_standin/installs'))
    .filter((i) => i.team_id === acme.id && !i.uninstalled).at(-1);
  const channel = await standin(request, '/_standin/channels', {
    team_id: acme.id, name: `front-door-${Date.now()}`, members: [pat.id, install.bot_user_id],
  });

  // `/c1 request` opens "Submit a request".
  const command = await standin(request, '/_standin/driver/slash_command', {
    app_url: `${LATCH_URL}/slack/commands`,
    team_id: acme.id, channel_id: channel.id, user_id: pat.id, command: '/c1', text: 'request',
  });
  expect(command.acked, JSON.stringify(command)).toBe(true);
  await expect.poll(async () => (await openModal(request, pat.id))?.definition?.title?.text).toBe('Submit a request');
  const viewId = (await openModal(request, pat.id)).id;
  const surface = { type: 'view', view_id: viewId };
  const interactivity = `${LATCH_URL}/slack/interactivity`;

  // "What app do you need?": the search finds the app by what Pat types.
  const search = await standin(request, '/_standin/driver/load_options', {
    app_url: `${LATCH_URL}/slack/options`,
    user_id: pat.id, surface, block_id: 'request_app', action_id: 'request_app_select', value: 'Front Door',
  });
  expect(search.problems, JSON.stringify(search)).toEqual([]);
  const appOption = search.options.find((o) => o.text.text.includes(APP));
  expect(appOption, JSON.stringify(search.options)).toBeTruthy();
  const chooseApp = await standin(request, '/_standin/driver/act', {
    app_url: interactivity, user_id: pat.id, surface,
    block_id: 'request_app', action_id: 'request_app_select', input: { kind: 'select', value: appOption.value },
  });
  expect(chooseApp.dispatched?.acked, JSON.stringify(chooseApp)).toBe(true);

  // "What entitlement do you need?" fills in once the app is chosen (views.update after the ack).
  await expect.poll(async () => options(block(await openModal(request, pat.id), 'request_entitlement')?.element)
    .map((o) => o.text.text).join('\n')).toContain(ENTITLEMENT);
  const entitlementOption = options(block(await openModal(request, pat.id), 'request_entitlement').element)
    .find((o) => o.text.text.includes(ENTITLEMENT));
  const chooseEntitlement = await standin(request, '/_standin/driver/act', {
    app_url: interactivity, user_id: pat.id, surface,
    block_id: 'request_entitlement', action_id: 'request_entitlement_select',
    input: { kind: 'select', value: entitlementOption.value },
  });
  expect(chooseEntitlement.dispatched?.acked ?? true, JSON.stringify(chooseEntitlement)).toBe(true);

  // "Length of access?" shows because the entitlement has a maximum (1 day): pick 4 hours.
  await expect.poll(async () => options(block(await openModal(request, pat.id), 'request_length')?.element).length)
    .toBeGreaterThan(0);
  const lengths = options(block(await openModal(request, pat.id), 'request_length').element);
  const fourHours = lengths.find((o) => /4 hours/.test(o.text.text)) || lengths[0];
  await standin(request, '/_standin/driver/act', {
    app_url: interactivity, user_id: pat.id, surface,
    block_id: 'request_length', action_id: 'request_length_select', input: { kind: 'select', value: fourHours.value },
  });
  await standin(request, '/_standin/driver/act', {
    app_url: interactivity, user_id: pat.id, surface,
    block_id: 'request_justification', action_id: 'request_justification_input', input: { kind: 'text', value: WHY },
  });

  const submitted = await standin(request, '/_standin/driver/submit_view', {
    app_url: interactivity, view_id: viewId, user_id: pat.id,
  });
  expect(submitted.client_errors, JSON.stringify(submitted)).toEqual({});
  expect(submitted.slack_error, JSON.stringify(submitted)).toBeNull();
  expect(submitted.errors ?? null, JSON.stringify(submitted)).toBeNull();
  expect(submitted.ack?.acked, JSON.stringify(submitted)).toBe(true);

  // Slack confirms it to Pat with the request's number.
  await expect.poll(async () => (await standin(request, `/_standin/ephemerals?user=${pat.id}`))
    .map((e) => e.text).join('\n')).toMatch(/was submitted/);
  const confirmation = (await standin(request, `/_standin/ephemerals?user=${pat.id}`))
    .map((e) => e.text).find((t) => /was submitted/.test(t));

  // In the console, Pat's request is there, and its history says it came from Slack.
  const person = await (await page.context().browser().newContext()).newPage();
  await signIn(person, USER, '/requests');
  const row = person.locator('#my-requests tr[data-request]', { hasText: `${APP} — ${ENTITLEMENT}` });
  await expect(row).toHaveCount(1);
  const number = await row.getAttribute('data-request');
  expect(confirmation).toContain(number);
  await row.getByRole('link').click();
  await expect(person.getByRole('heading', { level: 1 })).toContainText(number);
  await expect(person.getByText(WHY)).toBeVisible();
  await expect(person.getByRole('heading', { name: 'History' })).toBeVisible();
  await expect(person.locator('.history li[data-action="request.created"]')).toContainText('created in Slack');
});
