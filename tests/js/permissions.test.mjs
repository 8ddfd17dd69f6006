// Permission rules in the emulator, through the official @instantdb/admin and through
// instant-edge side by side (issue #15; spec §9, §3.4, §3.5): rules from Instant's permissions
// docs, allowed and denied reads and writes, debugQuery / debugTransact compared field by field,
// live queries that must not leak, and storage under `$files` rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as official from '@instantdb/admin';
import * as edge from '../../pkg/node.js';
import { apiURI, freshApp, ids, pause, rejectsWithApiError } from './helpers.mjs';

const schema = {
  entities: { todos: { attrs: { title: { valueType: 'string', required: false, config: { indexed: false, unique: false } } } } },
  links: { todoOwner: { forward: { on: 'todos', has: 'one', label: 'owner' }, reverse: { on: '$users', has: 'many', label: 'todos' } } },
};
const rules = {
  todos: {
    allow: {
      view: "auth.id in data.ref('owner.id')",
      create: 'isOwner',
      update: 'isOwner',
      delete: 'isOwner',
    },
    bind: { isOwner: "auth.id in data.ref('owner.id')" },
  },
  $users: { allow: { view: 'true' }, fields: { email: 'auth.id == data.id' } },
  $files: { allow: { view: 'true', create: "data.path.startsWith(auth.id + '/')", delete: "data.path.startsWith(auth.id + '/')" } },
};

const { appId, adminToken } = await freshApp(schema);
const setRules = async (document) => {
  const response = await fetch(`${apiURI}/__emulator/apps/${appId}/rules`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(document),
  });
  assert.equal(response.status, 200, await response.text());
};
await setRules(rules);
const clients = {
  official: official.init({ appId, adminToken, apiURI }),
  edge: edge.init({ appId, adminToken, apiURI }),
};
const admin = clients.official;
const aliceToken = await admin.auth.createToken('alice@example.com');
const bobToken = await admin.auth.createToken('bob@example.com');
const { $users } = await admin.query({ $users: {} });
const alice = $users.find((u) => u.email === 'alice@example.com').id;
const bob = $users.find((u) => u.email === 'bob@example.com').id;
const alicesTodo = official.id();
await admin.transact([admin.tx.todos[alicesTodo].update({ title: "Alice's" }), admin.tx.todos[alicesTodo].link({ owner: alice })]);

for (const [name, db] of Object.entries(clients)) {
  test(`${name}: view rules filter what each user sees (data.ref through a link)`, async () => {
    const alices = (await db.asUser({ token: aliceToken }).query({ todos: {} })).todos;
    assert.deepEqual(ids(alices), [alicesTodo]);
    const bobs = (await db.asUser({ token: bobToken }).query({ todos: {} })).todos;
    assert.ok(bobs.every((todo) => todo.owner === bob), `Bob sees only his own: ${JSON.stringify(bobs)}`);
    assert.deepEqual((await db.asUser({ guest: true }).query({ todos: {} })).todos, []);
  });

  test(`${name}: fields rules hide another user's email`, async () => {
    const seen = await db.asUser({ token: bobToken }).query({ $users: { $: { where: { id: alice } } } });
    assert.deepEqual(ids(seen.$users), [alice]);
    assert.equal(seen.$users[0].email, undefined);
    const self = await db.asUser({ token: aliceToken }).query({ $users: { $: { where: { id: alice } } } });
    assert.equal(self.$users[0].email, 'alice@example.com');
  });

  test(`${name}: a denied write is permission-denied and writes nothing`, async () => {
    const stolen = db.tx.todos[alicesTodo].update({ title: 'mine now' });
    await rejectsWithApiError(db.asUser({ token: bobToken }).transact(stolen), {
      status: 400,
      type: 'permission-denied',
      message: 'Permission denied: not perms-pass?',
    });
    const planted = official.id();
    const forAlice = [db.tx.todos[planted].update({ title: 'planted' }), db.tx.todos[planted].link({ owner: alice })];
    await rejectsWithApiError(db.asUser({ token: bobToken }).transact(forAlice), { status: 400, type: 'permission-denied' });
    assert.deepEqual((await admin.query({ todos: { $: { where: { id: planted } } } })).todos, []);
  });

  test(`${name}: delete, link and unlink follow the owner rule (link falls back to update)`, async () => {
    await rejectsWithApiError(db.asUser({ token: bobToken }).transact(db.tx.todos[alicesTodo].delete()), { status: 400, type: 'permission-denied' });
    await rejectsWithApiError(db.asUser({ token: bobToken }).transact(db.tx.todos[alicesTodo].link({ owner: bob })), { status: 400, type: 'permission-denied' });
    await rejectsWithApiError(db.asUser({ token: bobToken }).transact(db.tx.todos[alicesTodo].unlink({ owner: alice })), { status: 400, type: 'permission-denied' });
    const scratch = official.id();
    const asAlice = db.asUser({ token: aliceToken });
    await asAlice.transact([db.tx.todos[scratch].update({ title: 'scratch' }), db.tx.todos[scratch].link({ owner: alice })]);
    await asAlice.transact(db.tx.todos[scratch].delete());
    assert.deepEqual((await admin.query({ todos: { $: { where: { id: scratch } } } })).todos, [], 'the owner may delete');
    assert.deepEqual(ids((await admin.query({ todos: { $: { where: { id: alicesTodo } } } })).todos), [alicesTodo], 'nothing of the denied writes landed');
  });

  test(`${name}: an allowed create sees its own new link (create rules run after the write)`, async () => {
    const mine = official.id();
    const answer = await db.asUser({ token: bobToken }).transact([db.tx.todos[mine].update({ title: "Bob's" }), db.tx.todos[mine].link({ owner: bob })]);
    assert.ok(Number.isInteger(answer['tx-id']));
    assert.deepEqual(ids((await db.asUser({ token: bobToken }).query({ todos: {} })).todos).includes(mine), true);
  });
}

test('debugQuery: instant-edge answers exactly what @instantdb/admin answers', async () => {
  const query = { todos: {}, $users: {} };
  const options = { rules: { ...rules, todos: { allow: { view: 'data.title != null' } } } };
  const theirs = await clients.official.asUser({ token: bobToken }).debugQuery(query, options);
  const ours = await clients.edge.asUser({ token: bobToken }).debugQuery(query, options);
  assert.deepEqual(ours, theirs);
  assert.ok(theirs.checkResults.length > 0);
  const todoCheck = theirs.checkResults.find((c) => c.id === alicesTodo);
  assert.equal(todoCheck.check, true, 'the override opened todos');
  assert.deepEqual(todoCheck.program, { etype: 'todos', action: 'view', code: 'data.title != null', 'display-code': 'data.title != null' });
  const emailCheck = theirs.checkResults.find((c) => c.id === alice && c.label === 'email');
  assert.equal(emailCheck.check, false, 'Bob may not see Alice\'s email');
});

test('debugTransact: a dry run reports each check the same way for both clients', async () => {
  const steps = (db) => db.tx.todos[alicesTodo].update({ title: 'edited' });
  const theirs = await clients.official.asUser({ token: bobToken }).debugTransact(steps(clients.official));
  const ours = await clients.edge.asUser({ token: bobToken }).debugTransact(steps(clients.edge));
  const withoutTxId = ({ 'tx-id': txId, ...rest }) => {
    assert.ok(Number.isInteger(txId));
    return rest;
  };
  assert.deepEqual(withoutTxId(ours), withoutTxId(theirs));
  assert.equal(theirs['all-checks-ok?'], false);
  assert.equal(theirs['committed?'], false);
  const [check] = theirs['check-results'];
  assert.equal(check.action, 'update');
  assert.equal(check['check-pass?'], false);
  assert.deepEqual(check.bindings['modified-fields'], ['title']);
  assert.equal((await admin.query({ todos: { $: { where: { id: alicesTodo } } } })).todos[0].title, "Alice's", 'nothing committed');
});

test('a bad rules document gets the server\'s validation errors, for both clients', async () => {
  const bad = { $users: { allow: { delete: 'true' } }, todos: { allow: { view: 'newData.x == 1' } } };
  for (const db of Object.values(clients)) {
    const error = await rejectsWithApiError(db.asUser({ guest: true }).debugQuery({ todos: {} }, { rules: bad }), { status: 400, type: 'validation-failed' });
    assert.equal(error.body.hint['data-type'], 'rule');
    const paths = error.body.hint.errors.map((e) => e.in.join('.'));
    assert.ok(paths.includes('$users.allow.delete') && paths.includes('todos.allow.view'), JSON.stringify(error.body.hint.errors));
  }
});

test('debugQuery as admin is refused by the server for both clients', async () => {
  for (const db of Object.values(clients)) {
    await rejectsWithApiError(db.debugQuery({ todos: {} }), { status: 400, type: 'validation-failed', message: 'Validation failed for non-admin: Cannot test perms as admin' });
  }
});

test('storage: $files rules decide impersonated uploads and deletes', async () => {
  for (const db of Object.values(clients)) {
    const asAlice = db.asUser({ token: aliceToken });
    const own = `${alice}/notes-${official.id()}.txt`;
    await asAlice.storage.uploadFile(own, Buffer.from('hello'), { contentType: 'text/plain' });
    await rejectsWithApiError(asAlice.storage.uploadFile(`${bob}/x.txt`, Buffer.from('no')), { status: 400, type: 'permission-denied' });
    await asAlice.storage.delete(own);
  }
});

test('live: an impersonated subscription never shows a todo its owner rule hides', async () => {
  const seen = [];
  const subscription = clients.edge.asUser({ token: bobToken }).subscribeQuery({ todos: {} }, (payload) => {
    if (payload.type === 'ok') seen.push(ids(payload.data.todos));
  });
  try {
    const deadline = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < deadline) await pause(20);
    const hidden = official.id();
    const shown = official.id();
    await admin.transact([admin.tx.todos[hidden].update({ title: 'not Bob\'s' }), admin.tx.todos[hidden].link({ owner: alice })]);
    await admin.transact([admin.tx.todos[shown].update({ title: 'Bob\'s too' }), admin.tx.todos[shown].link({ owner: bob })]);
    while (!seen.some((list) => list.includes(shown)) && Date.now() < deadline) await pause(20);
    assert.ok(seen.some((list) => list.includes(shown)), `the new todo of Bob's arrives: ${JSON.stringify(seen)}`);
    assert.ok(seen.every((list) => !list.includes(hidden) && !list.includes(alicesTodo)), `nothing of Alice's ever arrives: ${JSON.stringify(seen)}`);
  } finally {
    subscription.close();
  }
});
