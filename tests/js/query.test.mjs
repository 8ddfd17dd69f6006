// InstaQL through the official client (spec §5): nested links, where, order, pagination, fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { id } from '@instantdb/admin';
import { freshDb, goalsSchema, byId } from './helpers.mjs';

const { db } = await freshDb(goalsSchema);
const g = { fit: id(), ship: id(), read: id() };
const t = { run: id(), lift: id(), write: id() };
await db.transact([
  db.tx.goals[g.fit].update({ title: 'Get fit', priority: 2 }),
  db.tx.goals[g.ship].update({ title: 'Ship it', priority: 1 }),
  db.tx.goals[g.read].update({ title: 'Read more' }),
  db.tx.todos[t.run].update({ text: 'Run', done: false }),
  db.tx.todos[t.lift].update({ text: 'Lift', done: true }),
  db.tx.todos[t.write].update({ text: 'Write docs', done: false }),
  db.tx.goals[g.fit].link({ todos: [t.run, t.lift] }),
  db.tx.todos[t.write].link({ goal: g.ship }),
]);

test('§5.5 entities created in one transaction come back in UUID order', async () => {
  const { goals } = await db.query({ goals: {} });
  assert.deepEqual(goals.map((x) => x.id), byId(Object.values(g)));
});

test('§5.9 indexed attributes never written render as null', async () => {
  const { goals } = await db.query({ goals: { $: { where: { id: g.read } } } });
  assert.deepEqual(goals, [{ id: g.read, title: 'Read more', priority: null, slug: null }]);
});

test('§5.2 nested forward link', async () => {
  const { goals } = await db.query({ goals: { $: { where: { id: g.fit } }, todos: {} } });
  assert.equal(goals.length, 1);
  assert.deepEqual(goals[0].todos.map((x) => x.id), byId([t.run, t.lift]));
  assert.deepEqual(goals[0].todos.find((x) => x.id === t.lift), { id: t.lift, text: 'Lift', done: true });
});

test('§5.2 nested reverse link, admin keeps empty arrays', async () => {
  const { goals } = await db.query({ goals: { $: { where: { id: g.read } }, todos: {} } });
  assert.deepEqual(goals[0].todos, []);
  const { todos } = await db.query({ todos: { $: { where: { id: t.write } }, goal: {} } });
  assert.deepEqual(todos[0].goal.map((x) => x.id), [g.ship]);
});

test('§5.4 where on a dotted link path', async () => {
  const { goals } = await db.query({ goals: { $: { where: { 'todos.text': 'Run' } } } });
  assert.deepEqual(goals.map((x) => x.id), [g.fit]);
});

test('§5.4 $in, $not, $isNull', async () => {
  const inQ = await db.query({ goals: { $: { where: { title: { $in: ['Get fit', 'Read more'] } } } } });
  assert.deepEqual(inQ.goals.map((x) => x.id), byId([g.fit, g.read]));
  const notQ = await db.query({ goals: { $: { where: { priority: { $not: 2 } } } } });
  assert.deepEqual(notQ.goals.map((x) => x.id), byId([g.ship, g.read]));
  const nullQ = await db.query({ goals: { $: { where: { priority: { $isNull: true } } } } });
  assert.deepEqual(nullQ.goals.map((x) => x.id), [g.read]);
});

test('§5.4 comparisons and $like on indexed typed attributes; and/or', async () => {
  const gt = await db.query({ goals: { $: { where: { priority: { $gt: 1 } } } } });
  assert.deepEqual(gt.goals.map((x) => x.id), [g.fit]);
  const like = await db.query({ goals: { $: { where: { title: { $like: '%it' } } } } });
  assert.deepEqual(like.goals.map((x) => x.id), byId([g.fit, g.ship]));
  const or = await db.query({
    goals: { $: { where: { or: [{ title: 'Read more' }, { and: [{ priority: { $lte: 1 } }, { title: { $ilike: 'ship%' } }] }] } } },
  });
  assert.deepEqual(or.goals.map((x) => x.id), byId([g.read, g.ship]));
});

test('§5.5 order by an indexed typed attribute: nulls first asc, last desc', async () => {
  const asc = await db.query({ goals: { $: { order: { priority: 'asc' } } } });
  assert.deepEqual(asc.goals.map((x) => x.id), [g.read, g.ship, g.fit]);
  const desc = await db.query({ goals: { $: { order: { priority: 'desc' } } } });
  assert.deepEqual(desc.goals.map((x) => x.id), [g.fit, g.ship, g.read]);
});

test('§5.6 limit and offset', async () => {
  const { goals } = await db.query({ goals: { $: { order: { priority: 'desc' }, limit: 1, offset: 1 } } });
  assert.deepEqual(goals.map((x) => x.id), [g.ship]);
});

test('§5.7 fields keeps id', async () => {
  const { goals } = await db.query({ goals: { $: { where: { id: g.fit }, fields: ['title'] } } });
  assert.deepEqual(goals, [{ id: g.fit, title: 'Get fit' }]);
});

test('§5.10 unknown namespace and unknown where attribute give empty arrays', async () => {
  assert.deepEqual(await db.query({ nothingHere: {} }), { nothingHere: [] });
  assert.deepEqual(await db.query({ goals: { $: { where: { color: 'red' } } } }), { goals: [] });
});

test('§3.1 ruleParams are accepted (ignored for admin)', async () => {
  const { goals } = await db.query({ goals: { $: { where: { id: g.fit } } } }, { ruleParams: { k: 'v' } });
  assert.equal(goals.length, 1);
});
