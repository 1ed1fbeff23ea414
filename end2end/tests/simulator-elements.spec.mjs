import { test, expect } from '@playwright/test';
import http from 'node:http';
import crypto from 'node:crypto';
import { SLACK, STANDIN_URL } from '../support/env.mjs';
import { standin } from '../support/standin.mjs';

// The Slack simulator's Block Kit pickers in a browser (issue 13): a tiny app of this spec's own
// (a Node server verifying Slack's signatures) opens a modal with every picker family when a
// person types its slash command; the person picks people, conversations, options, a time and a
// date-time in the simulator's page, submits, goes Back from the view the app pushes, and closes
// the modal with its ×. The app checks what Slack would have sent it. Latch is not involved: the
// workspace is this run's own, so the shared stand-in's other specs are not disturbed.

const RUN = Date.now().toString(36);

const text = (t) => ({ type: 'plain_text', text: t });
const input = (blockId, label, element, extra = {}) => ({ type: 'input', block_id: blockId, label: text(label), element, ...extra });
const option = (label, value) => ({ text: text(label), value });

/** The modal the app opens: one input per picker family. */
function pickersModal(initialChannel) {
  return {
    type: 'modal',
    callback_id: 'pickers',
    title: text('Pickers'),
    submit: text('Next'),
    close: text('Not now'),
    notify_on_close: true,
    blocks: [
      input('who', 'Who', { type: 'users_select', action_id: 'who_select', placeholder: text('Pick a person') }),
      input('team', 'Team', { type: 'multi_users_select', action_id: 'team_select', max_selected_items: 2 }),
      input('where', 'Where', { type: 'conversations_select', action_id: 'where_select', filter: { include: ['public', 'private'] } }),
      input('channels', 'Channels', { type: 'multi_channels_select', action_id: 'channels_select', initial_channels: [initialChannel] }),
      input('envs', 'Environments', {
        type: 'multi_static_select', action_id: 'envs_select',
        options: [option('Prod', 'prod'), option('Staging', 'staging'), option('Dev', 'dev')],
      }),
      input('apps', 'Apps', { type: 'multi_external_select', action_id: 'apps_select', min_query_length: 1 }),
      input('at', 'At', { type: 'timepicker', action_id: 'at_pick', initial_time: '09:00', timezone: 'Europe/Paris' }),
      input('until', 'Until', { type: 'datetimepicker', action_id: 'until_pick' }),
    ],
  };
}

/** Slack's request signature check (v0, HMAC-SHA256 of `v0:{timestamp}:{body}`). */
function signedBySlack(req, body) {
  const ts = req.headers['x-slack-request-timestamp'];
  const expected = `v0=${crypto.createHmac('sha256', SLACK.signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return req.headers['x-slack-signature'] === expected;
}

/** The spec's app: answers Slack's requests, opens the modal, pushes a second view on submit. */
async function startApp(botToken, initialChannel) {
  const received = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', async () => {
      const form = new URLSearchParams(body);
      const payload = form.get('payload') ? JSON.parse(form.get('payload')) : null;
      received.push({ path: req.url, signed: signedBySlack(req, body), form, payload });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/slack/commands') {
        res.end();
        await fetch(`${STANDIN_URL}/api/views.open`, {
          method: 'POST',
          headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify({ trigger_id: form.get('trigger_id'), view: pickersModal(initialChannel) }),
        });
      } else if (req.url === '/slack/options') {
        const all = [option('Jira', 'jira'), option('Jenkins', 'jenkins'), option('Okta', 'okta')];
        const query = payload.value.toLowerCase();
        res.end(JSON.stringify({ options: all.filter((o) => o.text.text.toLowerCase().startsWith(query)) }));
      } else if (payload?.type === 'view_submission' && payload.view.callback_id === 'pickers') {
        res.end(JSON.stringify({
          response_action: 'push',
          view: {
            type: 'modal', callback_id: 'confirm', title: text('Confirm'), notify_on_close: true,
            blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'All set?' } }],
          },
        }));
      } else {
        res.end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/slack`, received, close: () => server.close() };
}

test('every picker family in the simulator: drawn with its choices, picked, and sent in Slack\'s shapes; Back and × on a pushed view', async ({ page, request }) => {
  const team = await standin(request, '/_standin/workspaces', { name: `Pickers ${RUN}`, domain: `pickers-${RUN}` });
  const person = (name, email, extra = {}) => standin(request, '/_standin/users', { team_id: team.id, name, real_name: name, email, ...extra });
  const robin = await person(`robin${RUN}`, `robin-${RUN}@pickers.test`);
  const sam = await person(`sam${RUN}`, `sam-${RUN}@pickers.test`);
  const kim = await person(`kim${RUN}`, `kim-${RUN}@pickers.test`);
  const gone = await person(`gone${RUN}`, `gone-${RUN}@pickers.test`);
  await standin(request, `/_standin/users/${gone.id}/deactivate`, {});
  const general = await standin(request, '/_standin/channels', { team_id: team.id, name: `general-${RUN}`, is_private: false, members: [robin.id, sam.id] });
  const ops = await standin(request, '/_standin/channels', { team_id: team.id, name: `ops-${RUN}`, is_private: true, members: [robin.id] });
  const hidden = await standin(request, '/_standin/channels', { team_id: team.id, name: `hidden-${RUN}`, is_private: true, members: [sam.id] });
  const install = await standin(request, '/_standin/installs', { team_id: team.id, scopes: ['commands', 'chat:write'] });
  const app = await startApp(install.bot_token, general.id);
  try {
    // Robin opens the simulator pointed at the spec's app, and types its command in their DM with it.
    await page.goto(`${STANDIN_URL}/simulator?app=${encodeURIComponent(app.url)}`);
    await page.getByRole('link', { name: robin.real_name, exact: true }).click();
    await page.locator('nav.sidebar a.nav', { hasText: /^Latch$/ }).click();
    await page.getByLabel('Message', { exact: true }).fill('/pickers');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    const modal = page.getByRole('dialog', { name: 'Pickers' });
    await expect(modal).toBeVisible();
    expect(app.received.find((r) => r.path === '/slack/commands').signed).toBe(true);

    // The first view of the stack: no back arrow; its close text.
    await expect(modal.getByRole('button', { name: 'Back' })).toHaveCount(0);
    await expect(modal.getByRole('button', { name: 'Not now' })).toBeVisible();

    // People: the workspace's, not the deactivated one; the placeholder until someone is picked.
    const who = modal.getByLabel('Who', { exact: true });
    await expect(who.locator('option').first()).toHaveText('Pick a person');
    await expect(who.locator(`option[value="${gone.id}"]`)).toHaveCount(0);
    await who.selectOption(sam.id);
    // Picked one after the other: Slack sends them in that order, whatever the list's.
    const [first, second] = [sam, kim].sort((a, b) => (a.real_name < b.real_name ? 1 : -1));
    await modal.getByLabel('Team', { exact: true }).selectOption([first.id]);
    await modal.getByLabel('Team', { exact: true }).selectOption([first.id, second.id]);
    // Conversations Robin can see: not a private channel they are not in, no DM (filter).
    const where = modal.getByLabel('Where', { exact: true });
    await expect(where.locator(`option[value="${hidden.id}"]`)).toHaveCount(0);
    await where.selectOption(ops.id);
    await expect(modal.getByLabel('Channels', { exact: true }).locator(`option[value="${general.id}"]`)).toHaveAttribute('selected', '');
    await modal.getByLabel('Environments', { exact: true }).selectOption(['prod', 'dev']);
    // The external multi-select asks the app's options URL as Robin types, and keeps earlier picks.
    const apps = modal.getByLabel('Apps', { exact: true });
    await apps.fill('j');
    await modal.getByRole('button', { name: 'Jira', exact: true }).click();
    await expect(modal.locator('.chips')).toContainText('Jira');
    await apps.fill('ok');
    await modal.getByRole('button', { name: 'Okta', exact: true }).click();
    await expect(modal.locator('.chips')).toContainText('Okta');
    await expect(modal.locator('.chips')).toContainText('Jira');
    await expect(modal.getByText('Europe/Paris')).toBeVisible();
    await modal.getByLabel('At', { exact: true }).fill('17:45');
    await modal.getByLabel('At', { exact: true }).blur();
    await modal.getByLabel('Until', { exact: true }).fill('2026-12-24T18:30');
    await modal.getByLabel('Until', { exact: true }).blur();
    await expect(modal.getByLabel('Who', { exact: true })).toHaveValue(sam.id);

    await modal.getByRole('button', { name: 'Next' }).click();
    const confirm = page.getByRole('dialog', { name: 'Confirm' });
    await expect(confirm).toBeVisible();
    const submission = app.received.find((r) => r.payload?.type === 'view_submission');
    expect(submission.signed).toBe(true);
    const values = submission.payload.view.state.values;
    expect(values.who.who_select).toEqual({ type: 'users_select', selected_user: sam.id });
    expect(values.team.team_select).toEqual({ type: 'multi_users_select', selected_users: [first.id, second.id] });
    expect(values.where.where_select).toEqual({ type: 'conversations_select', selected_conversation: ops.id });
    expect(values.channels.channels_select).toEqual({ type: 'multi_channels_select', selected_channels: [general.id] });
    expect(values.envs.envs_select.selected_options.map((o) => o.value)).toEqual(['prod', 'dev']);
    expect(values.apps.apps_select.selected_options.map((o) => o.value)).toEqual(['jira', 'okta']);
    expect(values.at.at_pick).toEqual({ type: 'timepicker', selected_time: '17:45', timezone: 'Europe/Paris' });
    expect(values.until.until_pick).toEqual({ type: 'datetimepicker', selected_date_time: Date.UTC(2026, 11, 24, 18, 30) / 1000 });

    // The pushed view: Back returns to the first, as it was left; the app hears of the pushed view.
    await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeVisible();
    await confirm.getByRole('button', { name: 'Back' }).click();
    await expect(modal).toBeVisible();
    await expect(modal.getByLabel('Who', { exact: true })).toHaveValue(sam.id);
    await expect.poll(() => app.received.filter((r) => r.payload?.type === 'view_closed').length).toBe(1);
    const back = app.received.find((r) => r.payload?.type === 'view_closed');
    expect(back.payload.view.callback_id).toBe('confirm');
    expect(back.payload.is_cleared).toBe(false);

    // The × closes the whole modal: the app hears of the first view, is_cleared.
    await modal.getByRole('button', { name: 'Close' }).click();
    await expect(modal).toBeHidden();
    await expect.poll(() => app.received.filter((r) => r.payload?.type === 'view_closed').length).toBe(2);
    const closed = app.received.filter((r) => r.payload?.type === 'view_closed')[1];
    expect(closed.payload.view.callback_id).toBe('pickers');
    expect(closed.payload.is_cleared).toBe(true);
  } finally {
    app.close();
  }
});
