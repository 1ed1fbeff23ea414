// Pages other than Sign in, Home and Requests are lazy routes (`pages::lazy_page!`): the first
// page load fetches only the main WebAssembly module, and a lazy page's chunk is fetched when the
// page is visited, by client-side navigation or directly.
import { test, expect } from '@playwright/test';
import { ADMIN } from '../support/env.mjs';
import { signIn, waitForHydration } from '../support/session.mjs';

/** Records the path of every WebAssembly file the page asks for. */
function recordWasm(page) {
  const fetched = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) fetched.push(path);
  });
  return fetched;
}

test('sign in and Requests hydrate from the main module; an admin page loads its chunk when visited', async ({ page }) => {
  const fetched = recordWasm(page);
  await signIn(page, ADMIN, '/requests');
  await expect(page.getByRole('heading', { level: 1, name: 'Requests' })).toBeVisible();
  expect(fetched.length).toBeGreaterThan(0);
  expect(fetched.filter((path) => path !== '/pkg/latch.wasm')).toEqual([]);

  // Client-side navigation to an admin page fetches that page's chunk, and the page works.
  await page.getByRole('link', { name: 'Grants' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Active grants' })).toBeVisible();
  expect(fetched.some((path) => /^\/pkg\/split___grants_route_view_\w+\.wasm$/.test(path))).toBe(true);
  expect(fetched.some((path) => path.includes('audit_route_view'))).toBe(false);
});

test('a direct visit to a lazy page hydrates it once its chunk has loaded', async ({ page }) => {
  const fetched = recordWasm(page);
  await signIn(page, ADMIN, '/admin/settings');
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  await waitForHydration(page);
  expect(fetched.some((path) => /^\/pkg\/split___settings_route_view_\w+\.wasm$/.test(path))).toBe(true);

  // Hydrated: the navigation toggle is a client-side interaction.
  const toggle = page.getByRole('button', { name: 'Toggle navigation' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
});
