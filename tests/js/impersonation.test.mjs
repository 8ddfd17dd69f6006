// db.auth.createToken and db.asUser through the official client (spec §1.6, §3.11, §9.4: the
// defaults with no rules — app namespaces open, $users shows only the user themself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, id } from '@instantdb/admin';
import { apiURI, freshDb, ids, rejectsWithApiError } from './helpers.mjs';

const { db, appId } = await freshDb();
const goal = id();
await db.transact(db.tx.goals[goal].update({ title: 'Shared' }));
const token = await db.auth.createToken('alyssa@example.com');
const { $users } = await db.query({ $users: {} });
const alyssa = $users.find((u) => u.email === 'alyssa@example.com');
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('§3.11 createToken creates the user and returns a refresh token (UUID)', () => {
  assert.match(token, uuid);
  assert.ok(alyssa, 'the user is visible to admin queries');
  assert.match(alyssa.id, uuid);
});

test('§3.11 createToken for an existing user issues a new token for the same user', async () => {
  const again = await db.auth.createToken({ email: 'alyssa@example.com' });
  assert.match(again, uuid);
  assert.notEqual(again, token);
  const { $users: users } = await db.query({ $users: { $: { where: { email: 'alyssa@example.com' } } } });
  assert.deepEqual(ids(users), [alyssa.id]);
  const viaAgain = await init({ appId, apiURI }).asUser({ token: again }).query({ $users: {} });
  assert.deepEqual(ids(viaAgain.$users), [alyssa.id]);
});

test('§1.6 asUser({email}) reads with default rules: app data open, $users self only', async () => {
  await db.transact(db.tx.$users[id()].update({ email: 'other@example.com' }));
  const result = await db.asUser({ email: 'alyssa@example.com' }).query({ goals: {}, $users: {} });
  assert.deepEqual(result.goals, [{ id: goal, title: 'Shared' }]);
  assert.deepEqual(ids(result.$users), [alyssa.id]);
  assert.equal(result.$users[0].email, 'alyssa@example.com');
});

test('§1.6 asUser({email}) may write app namespaces with no rules', async () => {
  const todo = id();
  const answer = await db.asUser({ email: 'alyssa@example.com' }).transact(db.tx.todos[todo].update({ text: 'mine' }));
  assert.ok(Number.isInteger(answer['tx-id']));
  assert.deepEqual((await db.query({ todos: { $: { where: { id: todo } } } })).todos, [{ id: todo, text: 'mine' }]);
});

test('§1.6 asUser({token}) and asUser({guest: true}) need no admin token', async () => {
  const noAdmin = init({ appId, apiURI });
  const asToken = await noAdmin.asUser({ token }).query({ $users: {} });
  assert.deepEqual(ids(asToken.$users), [alyssa.id]);
  const asGuest = await noAdmin.asUser({ guest: true }).query({ goals: { $: { where: { id: goal } } }, $users: {} });
  assert.deepEqual(asGuest, { goals: [{ id: goal, title: 'Shared' }], $users: [] });
});

test('§1.6 with as-token or as-guest a wrong admin token is never read', async () => {
  const wrongAdmin = init({ appId, adminToken: '00000000-0000-4000-8000-000000000000', apiURI });
  const asToken = await wrongAdmin.asUser({ token }).query({ $users: {} });
  assert.deepEqual(ids(asToken.$users), [alyssa.id]);
  const asGuest = await wrongAdmin.asUser({ guest: true }).query({ goals: { $: { where: { id: goal } } } });
  assert.deepEqual(ids(asGuest.goals), [goal]);
});

test('§1.6 as-email needs a valid admin token', async () => {
  const wrongAdmin = init({ appId, adminToken: '00000000-0000-4000-8000-000000000000', apiURI });
  await rejectsWithApiError(wrongAdmin.asUser({ email: 'alyssa@example.com' }).query({ goals: {} }), {
    status: 400,
    type: 'record-not-found',
    message: 'Record not found: app-admin-token',
  });
});

test('§1.6 an unknown As-Email or As-Token is a 400 record-not-found app-user', async () => {
  const error = await rejectsWithApiError(db.asUser({ email: 'nobody@example.com' }).query({ goals: {} }), {
    status: 400,
    type: 'record-not-found',
    message: 'Record not found: app-user',
  });
  assert.equal(error.hint['record-type'], 'app-user');
  await rejectsWithApiError(init({ appId, apiURI }).asUser({ token: id() }).query({ goals: {} }), {
    status: 400,
    type: 'record-not-found',
    message: 'Record not found: app-user',
  });
});

test('§1.6 a non-UUID As-Token is 400 param-malformed', async () => {
  await rejectsWithApiError(init({ appId, apiURI }).asUser({ token: 'not-a-token' }).query({ goals: {} }), {
    status: 400,
    type: 'param-malformed',
    message: 'Malformed parameter: ["asUser" "token"]',
  });
});

test('§9.2 impersonated users cannot see other $ namespaces', async () => {
  const admin = await db.query({ $userRefreshTokens: {} });
  // Two tokens were issued in this file (token, again): admin sees their $userRefreshTokens
  // entities (§5.8, §7.2), which hold only hashes.
  assert.equal(admin.$userRefreshTokens.length, 2, `admin query answered ${JSON.stringify(admin)}`);
  const asUser = await db.asUser({ email: 'alyssa@example.com' }).query({ $userRefreshTokens: {} });
  assert.deepEqual(asUser, { $userRefreshTokens: [] });
});
