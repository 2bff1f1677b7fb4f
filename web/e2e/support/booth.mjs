// A voter's steps in the booth, through the page's stable contract (issue 11, requirement 6):
// the "Credential" field, options labelled with their names, the three buttons, and
// data-testid="confirmation-code".

/** Pastes the credential and marks `choices` ({contest id: [option titles]}). */
export async function fillBallot(page, credential, optionTitles) {
  await page.getByLabel('Credential', { exact: true }).fill(credential);
  for (const title of optionTitles) await page.getByLabel(title, { exact: true }).check();
}

/** Encrypts; returns the confirmation code shown before the voter decides. */
export async function encrypt(page) {
  await page.getByRole('button', { name: 'Encrypt ballot' }).click();
  const code = page.getByTestId('confirmation-code');
  await code.filter({ hasText: /^[0-9A-Z]{4}(-[0-9A-Z]{4}){6}$/ }).waitFor({ timeout: 30_000 });
  return (await code.textContent()).trim();
}

/** Casts and waits until the device has checked and kept the inclusion proof. */
export async function cast(page) {
  await page.getByRole('button', { name: 'Cast ballot' }).click();
  await page.locator('#receipt-proof').filter({ hasText: 'Inclusion proof checked and kept' }).waitFor({ timeout: 30_000 });
}

/** The election fingerprint the booth shows. */
export async function shownFingerprint(page) {
  return (await page.getByTestId('fingerprint').textContent()).trim();
}
