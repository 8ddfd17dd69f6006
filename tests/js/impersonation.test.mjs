// asUser through the official client (spec §1.6, §9.4 defaults with no rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, id } from '@instantdb/admin';
import { apiURI, freshDb } from './helpers.mjs';

const { db, appId } = await freshDb();
const goal = id();
await db.transact(db.tx.goals[goal].update({ title: 'Shared' }));
const token = await db.auth.createToken('alyssa@example.com');
const { $users } = await db.query({ $users: {} });
const alyssa = $users.find((u) => u.email === 'alyssa@example.com');

test('§3.11 createToken creates the user and returns a refresh token', () => {
  assert.match(token, /^[0-9a-f-]{36}$/);
  assert.ok(alyssa);
});

test('§1.6 asUser({email}) reads with default rules: app data open, $users self only', async () => {
  await db.transact(db.tx.$users[id()].update({ email: 'other@example.com' }));
  const result = await db.asUser({ email: 'alyssa@example.com' }).query({ goals: {}, $users: {} });
  assert.deepEqual(result.goals.map((x) => x.id), [goal]);
  assert.deepEqual(result.$users.map((u) => u.id), [alyssa.id]);
});

test('§1.6 asUser({token}) and asUser({guest}) need no admin token', async () => {
  const noAdmin = init({ appId, apiURI });
  const asToken = await noAdmin.asUser({ token }).query({ $users: {} });
  assert.deepEqual(asToken.$users.map((u) => u.id), [alyssa.id]);
  const asGuest = await noAdmin.asUser({ guest: true }).query({ goals: {}, $users: {} });
  assert.deepEqual(asGuest, { goals: [{ id: goal, title: 'Shared' }], $users: [] });
});

test('§1.6 an unknown As-Email is a 400 record-not-found app-user', async () => {
  await assert.rejects(db.asUser({ email: 'nobody@example.com' }).query({ goals: {} }), (err) => {
    assert.equal(err.status, 400);
    assert.equal(err.body.message, 'Record not found: app-user');
    return true;
  });
});
