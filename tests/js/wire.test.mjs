// Wire compatibility: for the same calls, instant-edge and the official @instantdb/admin must
// send the same method, URL, headers and body (issue #4; spec §1.3, §3.1, §3.2). Both clients run
// in this process with a recording `fetch`, then the same requests really go to the emulator.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as official from '@instantdb/admin';
import * as edge from '../../pkg/node.js';
import { freshApp, apiURI, recordRequests } from './helpers.mjs';

// The only intended difference: the version headers name our client. A call may fail (the
// requests are what is compared), so its error is dropped.
const recorded = (call) => recordRequests(() => call().catch(() => {}));

const { appId, adminToken } = await freshApp();
const dbs = {
  official: official.init({ appId, adminToken, apiURI }),
  edge: edge.init({ appId, adminToken, apiURI }),
};
const goal = '0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10';
const todo = '6c8a4f1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b';

const calls = {
  'query': (db) => db.query({ goals: { $: { where: { title: 'Get fit', due: new Date(0) }, order: { serverCreatedAt: 'desc' }, limit: 5 }, todos: {} } }),
  'query with ruleParams': (db) => db.query({ goals: {} }, { ruleParams: { secret: 's', n: 1 } }),
  'transact: every op': (db, lib) =>
    db.transact([
      db.tx.goals[goal].update({ title: 'Get fit', tags: ['a', 1, null], skipped: undefined }),
      db.tx.goals[goal].update({ title: 'again' }, { upsert: false }),
      db.tx.goals[goal].merge({ meta: { a: { b: 1 } } }),
      db.tx.todos[todo].create({ text: 'Run' }).link({ goal }),
      db.tx.goals[lib.lookup('slug', 'fit')].link({ todos: [todo, lib.lookup('text', 'Run')] }),
      db.tx.goals.lookup('slug', 'fit').unlink({ todos: todo }),
      db.tx.goals[goal].ruleParams({ k: 'v' }),
      db.tx.todos[todo].delete(),
    ]),
  'transact: one chunk': (db) => db.transact(db.tx.goals[goal].update({ title: 'single' })),
  'asUser email': (db) => db.asUser({ email: 'alyssa@example.com' }).query({ goals: {} }),
  'asUser token': (db) => db.asUser({ token: todo }).query({ goals: {} }),
  'asUser guest': (db) => db.asUser({ guest: true }).transact(db.tx.goals[goal].update({ title: 'guest' })),
};

// Auth calls (issue #5): the same requests as `db.auth.*` of @instantdb/admin. Each pair of runs
// targets its own user so the second client sees the same server state as the first.
const authCalls = {
  'auth.createToken(email string)': (db, _, n) => db.auth.createToken(`wire-${n}@example.com`),
  'auth.createToken({ id })': (db) => db.auth.createToken({ id: goal }),
  'auth.verifyToken': (db) => db.auth.verifyToken(todo),
  'auth.getUser({ email })': (db) => db.auth.getUser({ email: 'Odd+Name@Example.com' }),
  'auth.getUser({ refresh_token })': (db) => db.auth.getUser({ refresh_token: todo }),
  'auth.deleteUser({ id })': (db) => db.auth.deleteUser({ id: goal }),
  'auth.signOut(email string)': (db) => db.auth.signOut('nobody@example.com'),
  'auth.signOut({ refresh_token })': (db) => db.auth.signOut({ refresh_token: todo }),
  'auth.generateMagicCode': (db) => db.auth.generateMagicCode('code@example.com'),
  'auth.sendMagicCode': (db) => db.auth.sendMagicCode('code@example.com'),
  'auth.verifyMagicCode': (db) => db.auth.verifyMagicCode('code@example.com', '000000'),
  'auth.checkMagicCode with extraFields': (db) => db.auth.checkMagicCode('code@example.com', '000000', { extraFields: { nickname: 'n' } }),
};
// Storage calls (issue #6) the official client makes the same way. `list` and `getDownloadUrl`
// differ on purpose: ours query `$files` (honouring asUser), the official ones call deprecated
// admin-only routes.
const bytes = new TextEncoder().encode('hello wire');
Object.assign(authCalls, {
  'storage.uploadFile(bytes, metadata)': (db) =>
    db.storage.uploadFile('wire/a b.txt', bytes, { contentType: 'text/plain', contentDisposition: 'attachment' }),
  'storage.uploadFile(stream, fileSize)': (db) =>
    db.storage.uploadFile('wire/stream.bin', new Blob([bytes]).stream(), { fileSize: bytes.length }),
  'storage.uploadFile as a user': (db) => db.asUser({ email: 'alyssa@example.com' }).storage.uploadFile('wire/u.txt', bytes),
  'storage.delete': (db) => db.storage.delete('wire/a b&c.txt'),
  'storage.deleteMany': (db) => db.storage.deleteMany(['wire/a.txt', 'wire/b.txt']),
});
let run = 0;
for (const [name, call] of Object.entries(authCalls)) {
  test(`wire: ${name} is sent exactly as @instantdb/admin sends it`, async () => {
    run += 1;
    const theirs = await recorded(() => call(dbs.official, official, `${run}a`));
    const ours = await recorded(() => call(dbs.edge, edge, `${run}a`));
    assert.equal(theirs.length, 1, 'the official client sent one request');
    assert.deepEqual(ours, theirs);
  });
}

for (const [name, call] of Object.entries(calls)) {
  test(`wire: ${name} is sent exactly as @instantdb/admin sends it`, async () => {
    const theirs = await recorded(() => call(dbs.official, official));
    const ours = await recorded(() => call(dbs.edge, edge));
    assert.equal(theirs.length, 1, 'the official client sent one request');
    assert.deepEqual(ours, theirs);
  });
}

test('wire: the version headers are present and name instant-edge', async () => {
  const realFetch = globalThis.fetch;
  let headers;
  globalThis.fetch = async (url, init) => {
    headers = init.headers;
    return realFetch(url, init);
  };
  try {
    await dbs.edge.query({ goals: {} });
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.match(headers['Instant-Admin-Version'], /^instant-edge-v\d+\.\d+\.\d+$/);
  assert.equal(headers['Instant-Core-Version'], headers['Instant-Admin-Version']);
});
