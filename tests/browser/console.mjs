// The administration console in Debian's headless Chromium, as administrators click it: the
// Métropole's administrator signs in (password, then the authenticator app's code, then the
// one-time consent), registers a commune, registers an application for it, rotates its secret
// keeping the old one for a day, and signs out; a help-desk agent signs in and disables a
// resident's account, with a reason. Every page is also audited with axe-core (WCAG 2.1 AA;
// the pages' CSP forbids injected scripts, so the audit's is let through). The console has no
// script of its own.
// Run by the Rust test `console::…_in_chromium`; prints one JSON object of what each step saw,
// and exits non-zero at the first step that does not happen.
//
//   node tests/browser/console.mjs '{"base": …, "password": …, "admin": {"email", "totp"}, "agent": {…}, "resident": …}'
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { totp } from './totp.mjs';

const { base, password, admin, agent, resident } = JSON.parse(process.argv[2]);
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const steps = { violations: [] };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});

function fail(step, detail) {
  process.stdout.write(JSON.stringify({ ...steps, failed: step, detail }));
  process.exit(1);
}

async function expectText(page, step, text) {
  try {
    await page.getByText(text, { exact: false }).first().waitFor();
  } catch {
    fail(step, `"${text}" not on ${page.url()}: ${(await page.content()).slice(0, 3000)}`);
  }
  steps[step] = page.url();
  await audit(page, step);
}

// Serious or critical WCAG 2.1 A/AA violations on the page, recorded.
async function audit(page, step) {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    if (!window.axe) return [{ id: 'axe-not-loaded' }];
    const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  for (const v of found) steps.violations.push({ step, ...v });
}

async function signIn(page, who, step) {
  await page.goto(`${base}/admin/console`);
  await page.fill('#email', who.email);
  await page.fill('#password', password);
  await page.press('#password', 'Enter');
  await page.fill('#code', totp(who.totp, Date.now() / 1000 + 30));
  await page.press('#code', 'Enter');
  await page.waitForLoadState('load');
  if (await page.locator('button[name=decision][value=allow]').count()) {
    await page.locator('button[name=decision][value=allow]').click();
  }
  await expectText(page, step, 'Console d’administration');
}

// 1. The Métropole's administrator registers Dardilly and an application for it.
const adminContext = await browser.newContext({ locale: 'fr-FR', bypassCSP: true });
const page = await adminContext.newPage();
page.setDefaultTimeout(15000);
await signIn(page, admin, 'admin_signed_in');
await page.getByRole('link', { name: 'Partenaires' }).first().click();
await page.fill('#name', 'Dardilly');
await page.fill('#insee_code', '69072');
await page.fill('#population', '8800');
await page.getByRole('button', { name: 'Créer' }).click();
await expectText(page, 'commune_registered', 'Commune partenaire créée.');
await page.getByRole('link', { name: 'Nouvelle application' }).click();
await expectText(page, 'client_form', 'Nouvelle application');
await page.fill('#client_name', 'Portail de Dardilly');
await page.fill('#client_id', 'portail-dardilly');
await page.fill('#redirect_uris', 'https://portail.dardilly.fr/callback');
await page.check('#grant_client_credentials');
await page.getByRole('button', { name: 'Créer' }).click();
await expectText(page, 'client_registered', 'Copiez-le maintenant');
steps.first_secret = (await page.locator('#secret').textContent()).trim();
await page.getByRole('link', { name: 'Retour à l’application' }).click();
await page.selectOption('#keep_previous_for', 'day');
await page.getByRole('button', { name: 'Renouveler le secret' }).click();
await expectText(page, 'secret_rotated', 'L’ancien secret reste valide jusqu’au');
steps.second_secret = (await page.locator('#secret').textContent()).trim();
await page.getByRole('link', { name: 'Rapports' }).click();
await expectText(page, 'reports', 'Participations et consentements');
await page.goto(`${base}/admin/console/journal`);
await expectText(page, 'journal', 'client.secret_rotated');
await page.getByRole('button', { name: 'Se déconnecter de la console' }).click();
await expectText(page, 'admin_signed_out', 'Déconnecté de la console');

// 2. A help-desk agent finds the resident and disables their account, keyboard only.
const agentContext = await browser.newContext({ locale: 'fr-FR', bypassCSP: true });
const desk = await agentContext.newPage();
desk.setDefaultTimeout(15000);
await signIn(desk, agent, 'agent_signed_in');
await desk.getByRole('link', { name: 'Assistance' }).click();
await desk.fill('#q', resident);
await desk.fill('#reason', 'Appel du résident : téléphone volé');
await desk.keyboard.press('Enter');
await expectText(desk, 'resident_found', resident);
await desk.check('input[name=action][value=disable]');
await desk.getByRole('button', { name: 'Effectuer l’action' }).click();
await expectText(desk, 'resident_assisted', 'Action effectuée et inscrite au journal.');
steps.disabled_shown = (await desk.locator('.st-disabled').first().textContent()).trim();

await browser.close();
process.stdout.write(JSON.stringify(steps));
