// The consent page and "Mes autorisations" walked as a resident would, with the keyboard only,
// in French, in Debian's headless Chromium: sign in, untick the email address on the consent
// page (Tab, Space), allow (Enter), then on "Mes autorisations" withdraw a piece (Tab to its
// button, Enter). Run by the Rust test `browser_flow::…`; prints one JSON object of what each
// step saw, and exits non-zero at the first step that does not happen.
//
//   node tests/browser/consent.mjs '{"authorize": "…", "base": "…", "email": "…", "password": "…"}'
import { chromium } from 'playwright-core';

const { authorize, base, email, password } = JSON.parse(process.argv[2]);
const steps = {};
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const context = await browser.newContext({ locale: 'fr-FR' });
const page = await context.newPage();
page.setDefaultTimeout(15000);

// Tabs until the focused element matches `test` (at most 60 presses): the keyboard's way to
// reach a control.
async function tabTo(description, test) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(test)) return;
  }
  throw new Error(`the keyboard never reached ${description}`);
}

try {
  await page.goto(authorize);
  await tabTo('the email field', () => document.activeElement?.id === 'email');
  await page.keyboard.type(email);
  await tabTo('the password field', () => document.activeElement?.id === 'password');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/consent\//);
  steps.consent_page = await page.title();
  steps.consent_lang = await page.evaluate(() => document.documentElement.lang);
  await tabTo('the email address box', () => document.activeElement?.name === 'grant:email');
  await page.keyboard.press('Space');
  steps.email_unticked = !(await page.evaluate(() => document.activeElement.checked));
  await tabTo('the allow button', () => document.activeElement?.value === 'allow');
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => !url.pathname.startsWith('/consent/'));
  steps.back_at_service = page.url();

  await page.goto(`${base}/account/authorizations`);
  steps.authorizations_page = await page.title();
  steps.email_shown_refused = await page.evaluate(() => document.body.innerText.includes('non partagée'));
  // The first "Retirer" button: a piece of the service just authorized.
  await tabTo('a withdraw button', () =>
    document.activeElement?.tagName === 'BUTTON' && document.activeElement.innerText.startsWith('Retirer'));
  steps.withdrawn_piece = await page.evaluate(() => document.activeElement.form.elements.namedItem('item')?.value);
  await page.keyboard.press('Enter');
  await page.waitForURL(/withdrawn/);
  steps.withdrawn_notice = await page.evaluate(() => document.querySelector('[role=status]')?.innerText ?? '');
} catch (error) {
  steps.error = String(error);
  console.log(JSON.stringify(steps));
  await browser.close();
  process.exit(1);
}
console.log(JSON.stringify(steps));
await browser.close();
