// InstaML through the official client's `tx` builder (spec §6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { id, lookup } from '@instantdb/admin';
import { freshDb, goalsSchema } from './helpers.mjs';

const { db } = await freshDb(goalsSchema);
const one = async (ns, entityId, extra = {}) =>
  (await db.query({ [ns]: { $: { where: { id: entityId } }, ...extra } }))[ns];

test('§6.8 transact answers a strictly increasing integer tx-id', async () => {
  const a = await db.transact(db.tx.todos[id()].update({ text: 'a' }));
  const b = await db.transact(db.tx.todos[id()].update({ text: 'b' }));
  assert.ok(Number.isInteger(a['tx-id']) && b['tx-id'] > a['tx-id']);
});

test('§6.5 update upserts; {upsert:false} on a missing entity fails', async () => {
  const todo = id();
  await db.transact(db.tx.todos[todo].update({ text: 'x', done: false }));
  await db.transact(db.tx.todos[todo].update({ done: true }, { upsert: false }));
  assert.deepEqual(await one('todos', todo), [{ id: todo, text: 'x', done: true }]);
  const missing = id();
  await assert.rejects(db.transact(db.tx.todos[missing].update({ text: 'y' }, { upsert: false })), (err) => {
    assert.equal(err.name, 'InstantAPIError');
    assert.equal(err.status, 400);
    assert.equal(err.body.type, 'validation-failed');
    assert.match(err.body.message, new RegExp(`Updating entities that don't exist: ${missing}`));
    return true;
  });
});

test('§6.5 create fails on an existing entity', async () => {
  const todo = id();
  await db.transact(db.tx.todos[todo].create({ text: 'first' }));
  await assert.rejects(db.transact(db.tx.todos[todo].create({ text: 'again' })), (err) => {
    assert.equal(err.status, 400);
    assert.equal(err.body.message, `Validation failed for tx-step: Creating entities that exist: ${todo}, ${todo}`);
    return true;
  });
});

test('§6.5 merge deep-merges objects, replaces arrays, deletes null keys', async () => {
  const todo = id();
  await db.transact(db.tx.todos[todo].update({ meta: { a: { b: 1, c: 2 }, list: [1, 2] } }));
  await db.transact(db.tx.todos[todo].merge({ meta: { a: { c: null, d: 3 }, list: [9] } }));
  assert.deepEqual((await one('todos', todo))[0].meta, { a: { b: 1, d: 3 }, list: [9] });
});

test('§6.5 link, unlink and delete (links go too)', async () => {
  const goal = id();
  const [a, b] = [id(), id()];
  await db.transact([
    db.tx.goals[goal].update({ title: 'Linked' }),
    db.tx.todos[a].update({ text: 'a' }),
    db.tx.todos[b].update({ text: 'b' }),
    db.tx.goals[goal].link({ todos: [a, b] }),
  ]);
  assert.deepEqual((await one('goals', goal, { todos: {} }))[0].todos.map((x) => x.id), [a, b].sort());
  await db.transact(db.tx.goals[goal].unlink({ todos: a }));
  assert.deepEqual((await one('goals', goal, { todos: {} }))[0].todos.map((x) => x.id), [b]);
  await db.transact(db.tx.goals[goal].delete());
  assert.deepEqual(await one('goals', goal), []);
  assert.deepEqual((await one('todos', b, { goal: {} }))[0].goal, []);
});

test('§6.2 lookup() as entity id creates then finds; §6.3 lookup as link target', async () => {
  await db.transact(db.tx.goals[lookup('slug', 'fit')].update({ title: 'Fit' }));
  await db.transact(db.tx.goals[lookup('slug', 'fit')].update({ priority: 5 }));
  const { goals } = await db.query({ goals: { $: { where: { slug: 'fit' } } } });
  assert.equal(goals.length, 1);
  assert.equal(goals[0].title, 'Fit');
  assert.equal(goals[0].priority, 5);
  const todo = id();
  await db.transact([db.tx.todos[todo].update({ text: 'by slug' }), db.tx.todos[todo].link({ goal: lookup('slug', 'fit') })]);
  assert.deepEqual((await one('todos', todo, { goal: {} }))[0].goal.map((x) => x.id), [goals[0].id]);
});

test('§6.8 a failing step applies nothing', async () => {
  const todo = id();
  await assert.rejects(
    db.transact([db.tx.todos[todo].update({ text: 'never' }), db.tx.goals[id()].update({ title: 42 })]),
    (err) => err.status === 400 && err.body.type === 'validation-failed',
  );
  assert.deepEqual(await one('todos', todo), []);
});

test('§6.6 [delete X, update X] leaves X with only the new attributes', async () => {
  const todo = id();
  await db.transact(db.tx.todos[todo].update({ text: 'old', done: true }));
  await db.transact([db.tx.todos[todo].delete(), db.tx.todos[todo].update({ text: 'new' })]);
  assert.deepEqual(await one('todos', todo), [{ id: todo, text: 'new', done: null }]);
});
