// Accessibility audit of GrandLyon Connect's pages: axe-core (WCAG 2.1 A and AA rules) in
// Debian's headless Chromium, through a real sign-in and consent, plus a check that no page
// scrolls sideways at 320 px wide. Run by the Rust test `accessibility::…`; prints JSON.
//
//   node tests/browser/audit.mjs '{"base": "...", "authorize": "...", "email": "...", "password": "..."}'
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');
const { base, authorize, authorize_plus, email, password } = JSON.parse(process.argv[2]);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
// The pages' CSP forbids injected scripts: the audit's own script is let through.
const context = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
const page = await context.newPage();
const results = {};

async function audit(name) {
  await auditOn(page, name);
}

async function auditOn(page, name) {
  await page.waitForLoadState('load');
  await page.addScriptTag({ path: axePath });
  const report = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  await page.setViewportSize({ width: 320, height: 640 });
  const overflows = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  await page.setViewportSize({ width: 1280, height: 800 });
  results[name] = {
    url: page.url(),
    title: await page.title(),
    overflows_at_320px: overflows,
    violations: report.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })),
  };
}

await page.goto(authorize);
await audit('login');
await page.fill('#email', email);
await page.fill('#password', 'not the password');
await page.press('#password', 'Enter');
await audit('login_error');
await page.fill('#password', password);
await page.press('#password', 'Enter');
await audit('consent');
await page.goto(`${base}/authorize?client_id=unknown`);
await audit('error');
await page.goto(`${base}/signup`);
await audit('signup');
await page.goto(`${base}/password/forgot`);
await audit('forgot');
await page.goto(`${base}/account`);
await audit('account');
await page.goto(`${base}/account/authorizations`);
await audit('authorizations');
await page.goto(`${base}/accessibilite`);
await audit('accessibility_statement');
await page.goto(`${base}/developers`);
await audit('developer_guide');

// FranceConnect's pages: an error (a callback nobody started), the FranceConnect+ login.
await page.goto(`${base}/franceconnect/callback?code=x&state=y`);
await audit('franceconnect_error');
await page.goto(authorize_plus);
await audit('login_franceconnect_plus');
// A resident signs in through FranceConnect (the stand-in's first identity): their account.
const fc = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
const fcPage = await fc.newPage();
await fcPage.goto(`${base}/account`);
await fcPage.click('button.fr-connect');
await fcPage.click('button[name=identity][value="0"]');
await fcPage.waitForURL(`${base}/account`);
await fcPage.context().close();
// Later, elsewhere, FranceConnect+ vouches for the same person: the reconciliation question.
const plus = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
const plusPage = await plus.newPage();
await plusPage.goto(authorize_plus);
await plusPage.click('button.fr-connect');
await plusPage.click('button[name=identity][value="0"]');
await auditOn(plusPage, 'reconcile');
await plusPage.goto(`${base}/account`);
await plusPage.click('button.fr-connect');
await plusPage.click('button[name=identity][value="0"]');
await plusPage.waitForURL(`${base}/account`);
await auditOn(plusPage, 'account_franceconnect');

// A control page with a known violation (an image without text alternative): proves the audit
// really runs and can fail.
await page.setContent('<!doctype html><html lang="fr"><title>t</title><main><img src="x.png"></main></html>');
await audit('control');

console.log(JSON.stringify(results));
await browser.close();
