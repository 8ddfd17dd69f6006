// Errors as the official client surfaces them (spec §2.5): InstantAPIError with status, body,
// message, hint and traceId copied from the body. Auth failures are 400, never 401 (§1.5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, id } from '@instantdb/admin';
import { apiURI, freshApp, freshDb, rejectsWithApiError } from './helpers.mjs';

test('§1.5 a wrong admin token is a 400 record-not-found app-admin-token, echoing the token', async () => {
  const { appId } = await freshApp();
  const wrong = '00000000-0000-4000-8000-000000000000';
  const db = init({ appId, adminToken: wrong, apiURI });
  const error = await rejectsWithApiError(db.query({ goals: {} }), {
    status: 400,
    type: 'record-not-found',
    message: 'Record not found: app-admin-token',
  });
  assert.deepEqual(error.hint, {
    args: [{ 'app-id': appId, token: wrong }],
    message: 'This admin token may be expired or invalid. Or you may have provided an incorrect app ID.',
    'record-type': 'app-admin-token',
  });
  assert.match(error.traceId, /^[0-9a-f]{32}$/);
  assert.equal(error.traceId, error.body['trace-id']);
  await rejectsWithApiError(db.transact(db.tx.goals[id()].update({ title: 'x' })), { status: 400, type: 'record-not-found' });
});

test("§1.5 another app's admin token, or an unknown app id, is the same error", async () => {
  const first = await freshApp();
  const second = await freshApp();
  const crossed = init({ appId: first.appId, adminToken: second.adminToken, apiURI });
  await rejectsWithApiError(crossed.query({ goals: {} }), { status: 400, type: 'record-not-found', message: 'Record not found: app-admin-token' });
  const unknownApp = init({ appId: id(), adminToken: first.adminToken, apiURI });
  await rejectsWithApiError(unknownApp.query({ goals: {} }), { status: 400, type: 'record-not-found', message: 'Record not found: app-admin-token' });
});

test('§1.5 a non-UUID admin token is 400 param-malformed', async () => {
  const { appId } = await freshApp();
  const db = init({ appId, adminToken: 'xyz', apiURI });
  const error = await rejectsWithApiError(db.query({ goals: {} }), {
    status: 400,
    type: 'param-malformed',
    message: 'Malformed parameter: ["headers" "authorization"]',
  });
  assert.deepEqual(error.hint.in, ['headers', 'authorization']);
  assert.equal(error.hint['original-input'], 'Bearer xyz');
});

test('§1.4 a malformed app id is 400 param-malformed', async () => {
  const db = init({ appId: 'not-an-app', adminToken: id(), apiURI });
  const error = await rejectsWithApiError(db.query({ goals: {} }), {
    status: 400,
    type: 'param-malformed',
    message: 'Malformed parameter: ["headers" "app-id"]',
  });
  assert.equal(error.hint['original-input'], 'not-an-app');
});

test('§6.2 an invalid entity id is a validation error pointing at the step', async () => {
  // The client checks ids only when given a schema; without one the server must catch it.
  const { db } = await freshDb();
  const error = await rejectsWithApiError(db.transact([db.tx.goals[id()].update({ title: 'ok' }), db.tx.goals['not-a-uuid'].update({ title: 'x' })]), {
    status: 400,
    type: 'validation-failed',
    message: "Validation failed for steps: Invalid entity ID 'not-a-uuid'. Entity IDs must be UUIDs or lookup references.",
  });
  assert.equal(error.hint['data-type'], 'steps');
  assert.deepEqual(error.hint.errors[0].in, [1, 2]);
  assert.deepEqual((await db.query({ goals: {} })).goals, [], 'nothing was applied');
});

test('§6.3 a non-UUID, non-lookup link target fails the step spec', async () => {
  // The server's `::link-value` spec (srv/admin/model.clj) accepts only UUIDs and lookups, so a
  // plain string fails there with the bare spec message. (§6.3's "Linked value must be a valid
  // uuid." is the database check behind it, reached only by values that pass the spec.)
  const { db } = await freshDb();
  const goal = id();
  await db.transact(db.tx.goals[goal].update({ title: 'x' }));
  const error = await rejectsWithApiError(db.transact(db.tx.goals[goal].link({ todos: 'nope' })), {
    status: 400,
    type: 'validation-failed',
    message: 'Validation failed for steps',
  });
  assert.equal(error.hint['data-type'], 'steps');
  assert.deepEqual(error.hint.errors[0].in.slice(0, 2), [0, 3]);
});

test('§5.4 comparisons on a schemaless attribute need an index', async () => {
  const { db } = await freshDb();
  await db.transact(db.tx.goals[id()].update({ rank: 1 }));
  await rejectsWithApiError(db.query({ goals: { $: { where: { rank: { $gt: 0 } } } } }), {
    status: 400,
    type: 'validation-failed',
    message: 'Validation failed for query: The `goals.rank` attribute must be indexed to use comparison operators.',
  });
});

test('§5.4 null is not a where literal; an empty or list is invalid', async () => {
  const { db } = await freshDb();
  await db.transact(db.tx.goals[id()].update({ title: 'x' }));
  await rejectsWithApiError(db.query({ goals: { $: { where: { title: null } } } }), { status: 400, type: 'validation-failed' });
  await rejectsWithApiError(db.query({ goals: { $: { where: { or: [] } } } }), {
    status: 400,
    type: 'validation-failed',
    message: /The list of `or` conditions can't be empty\./,
  });
});

test('§5.3 an unknown $ option is 400 validation-failed', async () => {
  const { db } = await freshDb(undefined, { disableValidation: true });
  await rejectsWithApiError(db.query({ goals: { $: { sortBy: 'title' } } }), {
    status: 400,
    type: 'validation-failed',
    message: /We only support `where`, `order`, `limit`, `offset`, `before`, and `after` clauses\./,
  });
});
