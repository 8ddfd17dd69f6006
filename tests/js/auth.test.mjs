// Every `db.auth` call of the official client against the emulator (spec §3.8–§3.16, §7):
// what each returns, what a miss returns, and the server's errors for bad input, expired or
// reused codes and rate limits. The emulator's clock and per-app auth settings are moved
// through its control surface (`/__emulator/clock`, `/__emulator/apps/{id}/auth-settings`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from '@instantdb/admin';
import { apiURI, control, freshDb, rejectsWithApiError } from './helpers.mjs';

const { db, appId } = await freshDb();
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let serial = 0;
const freshEmail = (tag = 'auth') => `${tag}-${(serial += 1)}-${Date.now()}@example.com`;

const settings = (body) => control(`/apps/${appId}/auth-settings`, body);
const advance = (ms) => control('/clock', { 'advance-ms': ms });

test('§3.16 verifyToken returns the user with the token; an unknown or signed-out token rejects (400)', async () => {
  const email = freshEmail();
  const token = await db.auth.createToken(email);
  const user = await db.auth.verifyToken(token);
  assert.equal(user.email, email);
  assert.equal(user.refresh_token, token);
  assert.equal(user.app_id, appId);
  assert.match(user.id, uuid);
  await rejectsWithApiError(db.auth.verifyToken('6f7c4a51-9c1a-4a44-9c8a-6c1d8cb1f0aa'), { status: 400, type: 'record-not-found' });
  await db.auth.signOut({ refresh_token: token });
  await rejectsWithApiError(db.auth.verifyToken(token), { status: 400, type: 'record-not-found' });
});

test('§3.9 getUser by email, id and refresh_token; a miss is null', async () => {
  const email = freshEmail();
  const token = await db.auth.createToken(email);
  const byEmail = await db.auth.getUser({ email });
  assert.equal(byEmail.email, email);
  assert.equal(byEmail.refresh_token, undefined, 'getUser does not hand out tokens');
  assert.deepEqual((await db.auth.getUser({ id: byEmail.id })).email, email);
  assert.deepEqual((await db.auth.getUser({ refresh_token: token })).id, byEmail.id);
  assert.equal(await db.auth.getUser({ email: freshEmail('nobody') }), null);
  assert.equal(await db.auth.getUser({ id: '6f7c4a51-9c1a-4a44-9c8a-6c1d8cb1f0aa' }), null);
});

test('§3.9 deleteUser returns the deleted user, then null; its tokens die with it', async () => {
  const email = freshEmail();
  const token = await db.auth.createToken(email);
  const deleted = await db.auth.deleteUser({ email });
  assert.equal(deleted.email, email);
  assert.equal(await db.auth.getUser({ email }), null);
  assert.equal(await db.auth.deleteUser({ email }), null, 'a second delete is a miss, not an error');
  await rejectsWithApiError(db.auth.verifyToken(token), { status: 400, type: 'record-not-found' });
});

test('§3.10 signOut by refresh_token ends one session; by email or id ends them all', async () => {
  const email = freshEmail();
  const [a, b, c] = [await db.auth.createToken(email), await db.auth.createToken(email), await db.auth.createToken(email)];
  await db.auth.signOut({ refresh_token: a });
  await rejectsWithApiError(db.auth.verifyToken(a), { status: 400, type: 'record-not-found' });
  assert.equal((await db.auth.verifyToken(b)).email, email, 'the other sessions live on');
  await db.auth.signOut(email);
  for (const token of [b, c]) await rejectsWithApiError(db.auth.verifyToken(token), { status: 400, type: 'record-not-found' });
  const d = await db.auth.createToken(email);
  const { id } = await db.auth.getUser({ email });
  await db.auth.signOut({ id });
  await rejectsWithApiError(db.auth.verifyToken(d), { status: 400, type: 'record-not-found' });
});

test('§3.12 generateMagicCode returns a 6-digit code (digits 0–8) and sends nothing', async () => {
  const email = freshEmail();
  const { code } = await db.auth.generateMagicCode(email);
  assert.match(code, /^[0-8]{6}$/);
  const { messages } = await control(`/apps/${appId}/outbox`);
  assert.ok(!messages.some((m) => m.email === email), 'nothing in the outbox');
});

test('§3.13 sendMagicCode returns the code and puts the mail in the outbox', async () => {
  const email = freshEmail();
  const { code } = await db.auth.sendMagicCode(email);
  const { messages } = await control(`/apps/${appId}/outbox`);
  assert.deepEqual(messages.filter((m) => m.email === email).map((m) => m.code), [code]);
});

test('§3.14 verifyMagicCode returns the user with a new token; a code is single-use', async () => {
  const email = freshEmail();
  const { code } = await db.auth.generateMagicCode(email);
  const user = await db.auth.verifyMagicCode(email, code);
  assert.equal(user.email, email);
  assert.equal((await db.auth.verifyToken(user.refresh_token)).id, user.id);
  await rejectsWithApiError(db.auth.verifyMagicCode(email, code), {
    status: 400,
    type: 'record-not-found',
    message: 'Record not found: app-user-magic-code',
  });
});

test('§3.14 checkMagicCode says whether the user was created and applies extraFields only then', async () => {
  const email = freshEmail();
  const first = await db.auth.checkMagicCode(email, (await db.auth.generateMagicCode(email)).code);
  assert.equal(first.created, true);
  assert.equal(first.user.email, email);
  const again = await db.auth.checkMagicCode(email, (await db.auth.generateMagicCode(email)).code);
  assert.deepEqual([again.created, again.user.id], [false, first.user.id]);
  // A code for another email does not verify this one.
  const other = freshEmail();
  const { code } = await db.auth.generateMagicCode(other);
  await rejectsWithApiError(db.auth.checkMagicCode(email, code), { status: 400, type: 'record-not-found' });
});

test('§3.14 an unknown extra field is rejected at signup, and the code survives the failed check', async () => {
  const email = freshEmail();
  const { code } = await db.auth.generateMagicCode(email);
  await rejectsWithApiError(db.auth.checkMagicCode(email, code, { extraFields: { nickname: 'n' } }), {
    status: 400,
    type: 'validation-failed',
  });
  assert.equal((await db.auth.checkMagicCode(email, code)).created, true, 'not burnt by the failed check');
});

test('§7.3 an expired code is deleted and rejected with record-expired (app expiry setting)', async () => {
  await settings({ 'magic-code-expiry-minutes': 10 });
  try {
    const email = freshEmail();
    const { code: fresh } = await db.auth.generateMagicCode(email);
    const { code: stale } = await db.auth.generateMagicCode(email);
    await advance(9 * 60 * 1000);
    assert.equal((await db.auth.verifyMagicCode(email, fresh)).email, email, 'valid before the expiry');
    await advance(2 * 60 * 1000);
    await rejectsWithApiError(db.auth.verifyMagicCode(email, stale), { status: 400, type: 'record-expired' });
    await rejectsWithApiError(db.auth.verifyMagicCode(email, stale), { status: 400, type: 'record-not-found' });
  } finally {
    await settings({ 'magic-code-expiry-minutes': 1440 });
  }
});

test('§3.13 sends are limited to 20 per hour per email (429 rate-limited); generate is not', async () => {
  const email = freshEmail('limited');
  for (let i = 0; i < 20; i += 1) await db.auth.sendMagicCode(email);
  await rejectsWithApiError(db.auth.sendMagicCode(email), {
    status: 429,
    type: 'rate-limited',
    message: 'Too many verification codes requested for this email. Please try again later.',
  });
  await db.auth.sendMagicCode(freshEmail('limited')); // per email
  const { code } = await db.auth.generateMagicCode(email);
  assert.equal((await db.auth.verifyMagicCode(email, code)).email, email);
  await advance(60 * 60 * 1000);
  await db.auth.sendMagicCode(email);
});

test('§7.3 verify attempts have their own 20-per-hour bucket', async () => {
  const email = freshEmail('guessing');
  for (let i = 0; i < 20; i += 1) {
    await rejectsWithApiError(db.auth.verifyMagicCode(email, '999999'), { status: 400, type: 'record-not-found' });
  }
  const { code } = await db.auth.generateMagicCode(email);
  await rejectsWithApiError(db.auth.verifyMagicCode(email, code), { status: 429, type: 'rate-limited' });
  await advance(60 * 60 * 1000);
  assert.equal((await db.auth.verifyMagicCode(email, code)).email, email, 'the code was not spent by the refusal');
});

test('§7.3 a test user signs in with its static code, any number of times', async () => {
  const email = freshEmail('tester');
  await settings({ 'test-users': [{ email, code: '424242' }] });
  try {
    const first = await db.auth.checkMagicCode(email, '424242');
    const second = await db.auth.checkMagicCode(email, '424242');
    assert.deepEqual([first.created, second.created, second.user.id], [true, false, first.user.id]);
    await rejectsWithApiError(db.auth.checkMagicCode(email, '424243'), { status: 400, type: 'record-not-found' });
  } finally {
    await settings({ 'test-users': [] });
  }
});

test('§7.3 malformed emails are the server\'s 400 param-malformed for every magic-code call', async () => {
  for (const call of [
    () => db.auth.generateMagicCode('not an email'),
    () => db.auth.sendMagicCode('not an email'),
    () => db.auth.verifyMagicCode('not an email', '123456'),
  ]) {
    const error = await rejectsWithApiError(call(), { status: 400, type: 'param-malformed' });
    assert.deepEqual(error.body.hint.in, ['body', 'email']);
  }
});

test('§3.11 createToken by id creates the user with that id, once; neither email nor id is a 400', async () => {
  const id = crypto.randomUUID();
  const token = await db.auth.createToken({ id });
  assert.equal((await db.auth.verifyToken(token)).id, id);
  const again = await db.auth.createToken({ id });
  assert.equal((await db.auth.verifyToken(again)).id, id);
  await rejectsWithApiError(db.auth.createToken({}), {
    status: 400,
    type: 'validation-failed',
    message: 'Validation failed for body: Please provide an `email` or `id`',
  });
});

test('§7.5 getUserFromRequest: the verified cookie user, the unverified one, or null when there is none', async () => {
  const email = freshEmail();
  const token = await db.auth.createToken(email);
  const { id } = await db.auth.getUser({ email });
  const cookie = encodeURIComponent(JSON.stringify({ id, refresh_token: token }));
  const request = (value) => new Request('http://app.example/', { headers: { cookie: `a=b; instant_user_${appId}=${value}` } });
  assert.equal((await db.auth.getUserFromRequest(request(cookie))).email, email);
  assert.deepEqual(await db.auth.getUserFromRequest(request(cookie), { disableValidation: true }), { id, refresh_token: token });
  assert.equal(await db.auth.getUserFromRequest(new Request('http://app.example/')), null);
  await db.auth.signOut({ refresh_token: token });
  await rejectsWithApiError(db.auth.getUserFromRequest(request(cookie)), { status: 400, type: 'record-not-found' });
  // The official parser throws on a malformed cookie (JSON.parse); ours answers null.
  await assert.rejects(db.auth.getUserFromRequest(request('%7Bbroken')), SyntaxError);
});

test('§3.8 auth calls need the admin token', async () => {
  const anonymous = init({ appId, apiURI });
  await assert.rejects(anonymous.auth.getUser({ email: freshEmail() }));
});
