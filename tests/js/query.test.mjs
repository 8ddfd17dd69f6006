// InstaQL through the official client (spec §5): nested links, where, fields, result shapes.
// No `schema` is passed to `init`, so the client sends `inference?: false` (§3.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { id } from '@instantdb/admin';
import { freshDb, goalsSchema, byId, ids } from './helpers.mjs';

const { db } = await freshDb(goalsSchema);
const g = { fit: id(), ship: id(), read: id() };
const t = { run: id(), lift: id(), write: id() };
// One transaction: every entity shares one serverCreatedAt, so default order is UUID order (§5.5).
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
const where = async (ns, clause) => ids((await db.query({ [ns]: { $: { where: clause } } }))[ns]);

test('§5.5 entities created in one transaction come back in UUID order', async () => {
  const result = await db.query({ goals: {} });
  assert.deepEqual(Object.keys(result), ['goals']);
  assert.deepEqual(ids(result.goals), byId(Object.values(g)));
  assert.deepEqual(ids((await db.query({ todos: {} })).todos), byId(Object.values(t)));
});

test('§5.9 every written attribute is returned; indexed attributes never written render as null', async () => {
  const { goals } = await db.query({ goals: { $: { where: { id: g.read } } } });
  assert.deepEqual(goals, [{ id: g.read, title: 'Read more', priority: null, slug: null }]);
  const { todos } = await db.query({ todos: { $: { where: { id: t.lift } } } });
  assert.deepEqual(todos, [{ id: t.lift, text: 'Lift', done: true }]);
});

test('§5.2 several namespaces in one query; result keys are the query keys', async () => {
  const result = await db.query({ goals: { $: { where: { id: g.ship } } }, todos: { $: { where: { id: t.write } } } });
  assert.deepEqual(Object.keys(result).sort(), ['goals', 'todos']);
  assert.deepEqual(ids(result.goals), [g.ship]);
  assert.deepEqual(ids(result.todos), [t.write]);
});

test('§5.2 nested forward link: linked entities fully rendered, in UUID order', async () => {
  const { goals } = await db.query({ goals: { $: { where: { id: g.fit } }, todos: {} } });
  assert.equal(goals.length, 1);
  assert.deepEqual(goals[0], {
    id: g.fit,
    title: 'Get fit',
    priority: 2,
    slug: null,
    todos: [
      { id: t.run, text: 'Run', done: false },
      { id: t.lift, text: 'Lift', done: true },
    ].sort((a, b) => (a.id < b.id ? -1 : 1)),
  });
});

test('§5.9 nested reverse link is an array without inference; admin keeps empty arrays', async () => {
  const { goals } = await db.query({ goals: { $: { where: { id: g.read } }, todos: {} } });
  assert.deepEqual(goals[0].todos, []);
  const { todos } = await db.query({ todos: { $: { where: { id: t.write } }, goal: {} } });
  assert.deepEqual(todos[0].goal, [{ id: g.ship, title: 'Ship it', priority: 1, slug: null }]);
});

test('§5.2 nesting goes both ways and deeper', async () => {
  const { todos } = await db.query({ todos: { $: { where: { id: t.run } }, goal: { todos: {} } } });
  assert.deepEqual(ids(todos[0].goal), [g.fit]);
  assert.deepEqual(ids(todos[0].goal[0].todos), byId([t.run, t.lift]));
});

test('§5.3 nested where filters only the nested array', async () => {
  const { goals } = await db.query({ goals: { todos: { $: { where: { done: false } } } } });
  const byGoal = Object.fromEntries(goals.map((goal) => [goal.id, ids(goal.todos)]));
  assert.deepEqual(byGoal, { [g.fit]: [t.run], [g.ship]: [t.write], [g.read]: [] });
});

test('§5.4 equality on attributes, on id, and on several attributes (ANDed)', async () => {
  assert.deepEqual(await where('goals', { title: 'Ship it' }), [g.ship]);
  assert.deepEqual(await where('goals', { priority: 2 }), [g.fit]);
  assert.deepEqual(await where('todos', { done: false }), byId([t.run, t.write]));
  assert.deepEqual(await where('todos', { done: false, text: 'Run' }), [t.run]);
  assert.deepEqual(await where('goals', { id: g.read }), [g.read]);
  assert.deepEqual(await where('goals', { title: 'ship it' }), [], 'strings compare case-sensitively');
});

test('§5.4 where on dotted paths, forward and reverse', async () => {
  assert.deepEqual(await where('goals', { 'todos.text': 'Run' }), [g.fit]);
  assert.deepEqual(await where('goals', { 'todos.done': false }), byId([g.fit, g.ship]));
  assert.deepEqual(await where('todos', { 'goal.title': 'Get fit' }), byId([t.run, t.lift]));
  assert.deepEqual(await where('todos', { 'goal.todos.text': 'Write docs' }), [t.write]);
});

test('§5.4 where on a link label or link.id compares linked entity ids', async () => {
  assert.deepEqual(await where('goals', { todos: t.write }), [g.ship]);
  assert.deepEqual(await where('goals', { 'todos.id': t.lift }), [g.fit]);
  assert.deepEqual(await where('todos', { goal: g.fit }), byId([t.run, t.lift]));
});

test('§5.4 $in (with a dotted path too)', async () => {
  assert.deepEqual(await where('goals', { title: { $in: ['Get fit', 'Read more'] } }), byId([g.fit, g.read]));
  assert.deepEqual(await where('goals', { 'todos.text': { $in: ['Run', 'Write docs'] } }), byId([g.fit, g.ship]));
  assert.deepEqual(await where('goals', { title: { $in: [] } }), []);
});

test('§5.4 $not and $ne also match entities lacking the value', async () => {
  assert.deepEqual(await where('goals', { priority: { $not: 2 } }), byId([g.ship, g.read]));
  assert.deepEqual(await where('goals', { priority: { $ne: 1 } }), byId([g.fit, g.read]));
  // Paths: some chain satisfies it, or a link on the path is missing (g.read has no todos).
  assert.deepEqual(await where('goals', { 'todos.done': { $not: false } }), byId([g.fit, g.read]));
});

test('§5.4 $isNull true/false, on attributes and on paths', async () => {
  assert.deepEqual(await where('goals', { priority: { $isNull: true } }), [g.read]);
  assert.deepEqual(await where('goals', { priority: { $isNull: false } }), byId([g.fit, g.ship]));
  assert.deepEqual(await where('goals', { 'todos.done': { $isNull: true } }), [g.read]);
});

test('§5.4 $gt/$gte/$lt/$lte on an indexed typed attribute (null never compares)', async () => {
  assert.deepEqual(await where('goals', { priority: { $gt: 1 } }), [g.fit]);
  assert.deepEqual(await where('goals', { priority: { $gte: 1 } }), byId([g.fit, g.ship]));
  assert.deepEqual(await where('goals', { priority: { $lt: 2 } }), [g.ship]);
  assert.deepEqual(await where('goals', { priority: { $lte: 2 } }), byId([g.fit, g.ship]));
  assert.deepEqual(await where('goals', { title: { $gt: 'Read more' } }), [g.ship]);
});

test('§5.4 $like is case-sensitive, $ilike is not; on paths too', async () => {
  assert.deepEqual(await where('goals', { title: { $like: '%it' } }), byId([g.fit, g.ship]));
  assert.deepEqual(await where('goals', { title: { $like: 'get%' } }), []);
  assert.deepEqual(await where('goals', { title: { $ilike: 'get%' } }), [g.fit]);
  assert.deepEqual(await where('goals', { title: { $like: 'Re_d more' } }), [g.read]);
  assert.deepEqual(await where('todos', { 'goal.title': { $like: 'Get%' } }), byId([t.run, t.lift]));
});

test('§5.4 and / or nest arbitrarily', async () => {
  assert.deepEqual(
    await where('goals', { or: [{ title: 'Read more' }, { and: [{ priority: { $lte: 1 } }, { title: { $ilike: 'ship%' } }] }] }),
    byId([g.read, g.ship]),
  );
  assert.deepEqual(await where('goals', { and: [{ priority: { $gte: 1 } }, { priority: { $lte: 1 } }] }), [g.ship]);
  assert.deepEqual(await where('goals', { or: [{ title: 'Get fit' }], priority: 1 }), []);
});

test('§5.7 fields keeps id, ignores links and unknown names', async () => {
  const { goals } = await db.query({ goals: { $: { where: { id: g.fit }, fields: ['title', 'todos', 'nope'] } } });
  assert.deepEqual(goals, [{ id: g.fit, title: 'Get fit' }]);
  const nested = await db.query({ goals: { $: { where: { id: g.fit }, fields: ['priority'] }, todos: { $: { fields: ['done'] } } } });
  assert.deepEqual(nested.goals[0].priority, 2);
  assert.deepEqual(nested.goals[0].title, undefined);
  assert.deepEqual(nested.goals[0].todos, byId([t.run, t.lift]).map((x) => ({ id: x, done: x === t.lift })));
});

test('§5.10 unknown namespace, link and where attribute give empty arrays; {} gives {}', async () => {
  assert.deepEqual(await db.query({ nothingHere: {} }), { nothingHere: [] });
  assert.deepEqual(await db.query({ goals: { $: { where: { color: 'red' } } } }), { goals: [] });
  assert.deepEqual(await db.query({ goals: { $: { where: { color: { $isNull: true } } } } }), { goals: [] });
  const { goals } = await db.query({ goals: { $: { where: { id: g.fit } }, nope: {} } });
  assert.deepEqual(goals[0].nope, []);
  assert.deepEqual(await db.query({}), {});
});

test('§3.1 ruleParams travel inside the query and are ignored for admin', async () => {
  const { goals } = await db.query({ goals: { $: { where: { id: g.fit } } } }, { ruleParams: { k: 'v' } });
  assert.deepEqual(ids(goals), [g.fit]);
});
