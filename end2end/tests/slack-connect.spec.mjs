import { test, expect } from '@playwright/test';
import { ADMIN } from '../support/env.mjs';
import { signIn, waitForHydration } from '../support/session.mjs';
import { allowInAcme } from '../support/standin.mjs';

// The stand-in (support/start-standin.mjs) seeds the Acme workspace with #general,
// #security-alerts and #it-access, and shows Slack's consent page with a channel picker.
test('an admin connects Slack from Settings > Notifications, picks a channel, then disconnects', async ({ page }) => {
  const started = Date.now();
  await signIn(page, ADMIN, '/admin/settings/notifications');
  await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
  // The specs share one Latch, and one that ran earlier may have left Acme connected: start
  // from a Latch connected to nothing.
  await waitForHydration(page);
  const connected = page.locator('.slack-installation[data-status=connected]');
  for (let left = await connected.count(); left > 0; left -= 1) {
    await connected.first().getByRole('button', { name: 'Disconnect' }).click();
    await expect(connected).toHaveCount(left - 1);
  }
  await expect(page.locator('#slack-not-connected')).toBeVisible();

  await page.getByRole('link', { name: 'Connect', exact: true }).click();
  await expect(page.locator('#slack-add')).toBeVisible();
  await page.getByRole('link', { name: 'Add to Slack' }).click();

  // Slack's consent screen (the stand-in's): pick the channel the app may post to, then Allow.
  await expect(page.getByRole('heading', { name: /is requesting permission/ })).toBeVisible();
  await allowInAcme(page);

  // Back on Settings > Notifications, connected.
  await expect(page).toHaveURL(/\/admin\/settings\/notifications\?slack=connected/);
  await expect(page.locator('#slack-notice')).toContainText('Connected to Slack.');
  const installation = page.locator('.slack-installation').first();
  await expect(installation).toHaveAttribute('data-status', 'connected');
  await expect(installation.getByRole('heading', { level: 3 })).toContainText('Acme');
  await expect(installation.locator('.slack-channel')).toContainText('#it-access');
  await expect(installation).toContainText(ADMIN.name);
  expect(Date.now() - started, 'connecting takes well under a minute').toBeLessThan(60_000);

  // The token never reaches the browser.
  expect(await page.content()).not.toContain('xoxb-');

  await waitForHydration(page);
  await installation.getByRole('button', { name: 'Send test message' }).click();
  await expect(page.getByText('Test message posted to #it-access.')).toBeVisible();

  await installation.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.getByText('Disconnected. Slack revoked')).toBeVisible();
  await expect(page.locator('.slack-installation').first()).toHaveAttribute('data-status', 'disconnected');
  await expect(page.locator('.slack-installation').first()).toContainText('an admin disconnected it');
});
