import { test, expect } from '@playwright/test';
import { ADMIN, USER } from '../support/env.mjs';
import { signIn, waitForHydration } from '../support/session.mjs';

test('an admin signs in, sees the shell, reaches Notifications and signs out', async ({ page }) => {
  await page.goto('/admin/settings/notifications');
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fsettings%2Fnotifications$/);

  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();

  // Sent back where they were going.
  await expect(page).toHaveURL(/\/admin\/settings\/notifications$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Slack' })).toBeVisible();
  await expect(page.locator('.account-name')).toHaveText(ADMIN.name);

  // The shell's navigation leads to Settings and back to Notifications.
  await page.getByRole('link', { name: 'Settings' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  await page.locator('.content').getByRole('link', { name: 'Notifications' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();

  // Hydration happened: the navigation toggle is a client-side interaction.
  await waitForHydration(page);
  const toggle = page.getByRole('button', { name: 'Toggle navigation' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(page.locator('#primary-nav')).toBeHidden();
  await toggle.click();
  await expect(page.locator('#primary-nav')).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await expect(page.getByText('You have signed out.')).toBeVisible();
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
});

test('a wrong password gets one generic message', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Email').fill(USER.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');
});

test('a user without the role gets a 403 page on Admin pages', async ({ page }) => {
  await signIn(page, USER);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(USER.name);
  await expect(page.getByRole('link', { name: 'Settings' })).toHaveCount(0);

  const response = await page.goto('/admin/settings/notifications');
  expect(response.status()).toBe(403);
  await expect(page.getByRole('heading', { name: "You don't have access to this page" })).toBeVisible();
  // The layout is kept: navigation and sign out are still there.
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
});

test('the login form works without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login?next=%2Fapps');
  await page.getByLabel('Email').fill(USER.email);
  await page.getByLabel('Password').fill(USER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/apps$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Apps' })).toBeVisible();
  await context.close();
});
