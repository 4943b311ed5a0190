// A resident's whole journey in Debian's headless Chromium, as a person would click it:
// sign-up → the link of the verification mail → sign-in → a passkey added (Chromium's virtual
// authenticator) → sign-out → passwordless sign-in with the passkey → an authenticator app
// enrolled (its code computed here, as the app would) → sign-in with password and code →
// password reset by the mailed link → sign-in with the new password and the passkey as second
// factor. Run by the Rust test `browser_flow::…`; prints one JSON object of what each step saw,
// and exits non-zero at the first step that does not happen.
//
//   node tests/browser/flow.mjs '{"base": "http://localhost:…", "outbox": "/tmp/…/outbox"}'
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { totp } from './totp.mjs';

const { base, outbox } = JSON.parse(process.argv[2]);
const email = 'dominique.browser@vaulx-en-velin.fr';
const password = 'trois petits chats dans le tram';
const newPassword = 'le funiculaire de Fourvière monte encore';
const steps = {};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const context = await browser.newContext({ locale: 'fr-FR' });
const page = await context.newPage();
page.setDefaultTimeout(15000);

// Chromium's virtual authenticator: a platform passkey with user verification (what a phone's
// fingerprint reader gives), answering without a person.
const cdp = await context.newCDPSession(page);
await cdp.send('WebAuthn.enable');
const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
  options: {
    protocol: 'ctap2',
    transport: 'internal',
    hasResidentKey: true,
    hasUserVerification: true,
    isUserVerified: true,
    automaticPresenceSimulation: true,
  },
});

function fail(step, detail) {
  process.stdout.write(JSON.stringify({ ...steps, failed: step, detail }));
  process.exit(1);
}

async function expectText(step, text) {
  try {
    await page.getByText(text, { exact: false }).first().waitFor();
  } catch {
    fail(step, `"${text}" not on ${page.url()}: ${(await page.content()).slice(0, 3000)}`);
  }
  steps[step] = page.url();
}

// The link of the latest mail to `email` whose body contains `marker`.
function mailedLink(marker) {
  const files = readdirSync(outbox).filter((f) => f.endsWith('.eml')).sort();
  for (const file of files.reverse()) {
    const raw = readFileSync(join(outbox, file), 'utf8').replace(/\r\n/g, '\n');
    const separator = raw.indexOf('\n\n');
    const body = Buffer.from(raw.slice(separator + 2).replace(/\s+/g, ''), 'base64').toString('utf8');
    if (raw.includes(email) && body.includes(marker)) {
      return body.match(/https?:\/\/\S+/)[0];
    }
  }
  return fail('mail', `no mail with ${marker} in ${outbox}`);
}

async function signOutEverywhere(step) {
  await page.goto(`${base}/account`);
  await page.getByRole('button', { name: 'Me déconnecter partout' }).click();
  await expectText(step, 'Vous êtes déconnecté de tous vos appareils');
}

// 1. Sign-up, and the verification link from the mail.
await page.goto(`${base}/signup`);
await page.fill('#given_name', 'Dominique');
await page.fill('#family_name', 'Navigateur');
await page.fill('#email', email);
await page.fill('#password', password);
await page.getByRole('button', { name: 'Créer mon compte' }).click();
await expectText('signed_up', 'Consultez votre messagerie');
await page.goto(mailedLink('verify-email'));
await expectText('verified', 'Adresse confirmée');

// 2. Sign-in with the password on the account page.
await page.goto(`${base}/account`);
await page.fill('#email', email);
await page.fill('#password', password);
await page.locator('form[action="/account/login"] button[type=submit]').click();
await expectText('signed_in', 'Me déconnecter partout');

// 3. A passkey, named.
await page.fill('#passkey_name', 'Ordinateur du salon');
await page.getByRole('button', { name: "Ajouter une clé d'accès" }).click();
await expectText('passkey_added', "La clé d'accès a été ajoutée.");
const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
steps.credentials_in_authenticator = credentials.length;
steps.credential_is_discoverable = credentials.every((c) => c.isResidentCredential);
await signOutEverywhere('signed_out');

// 4. Passwordless: the passkey alone.
await page.goto(`${base}/account`);
await page.getByRole('button', { name: "Se connecter avec une clé d'accès" }).click();
await expectText('passkey_login', 'Ordinateur du salon');

// 5. An authenticator app: its key read off the page, its code computed as the app would.
await page.getByRole('button', { name: 'Activer la double authentification' }).click();
const secret = (await page.locator('#totp-secret').textContent()).trim();
await page.fill('#totp_code', totp(secret, Date.now() / 1000));
await page.getByRole('button', { name: /Confirmer|Activer/ }).last().click();
await expectText('totp_enrolled', 'Vos codes de secours');
await signOutEverywhere('signed_out_again');

// 6. Password, then the app's code (the next one: each code is used once).
await page.goto(`${base}/account`);
await page.fill('#email', email);
await page.fill('#password', password);
await page.locator('form[action="/account/login"] button[type=submit]').click();
await expectText('asked_second_factor', "Utiliser ma clé d'accès");
await page.fill('#code', totp(secret, Date.now() / 1000 + 30));
await page.locator('form[action="/login/second-factor"] button[type=submit]').click();
await expectText('totp_login', 'Ordinateur du salon');
await signOutEverywhere('signed_out_before_reset');

// 7. A forgotten password: the mailed link, a new password.
await page.goto(`${base}/password/forgot`);
await page.fill('#email', email);
await page.locator('form[action="/password/forgot"] button[type=submit]').click();
await page.goto(mailedLink('password/reset'));
await page.fill('#password', newPassword);
await page.locator('form[action="/password/reset"] button[type=submit]').click();
await expectText('password_reset', 'Mot de passe changé');

// 8. The new password, then the passkey as second factor.
await page.goto(`${base}/account`);
await page.fill('#email', email);
await page.fill('#password', newPassword);
await page.locator('form[action="/account/login"] button[type=submit]').click();
await expectText('asked_second_factor_again', "Utiliser ma clé d'accès");
await page.getByRole('button', { name: "Utiliser ma clé d'accès" }).click();
await expectText('passkey_second_factor', 'Ordinateur du salon');

await browser.close();
process.stdout.write(JSON.stringify(steps));
