// Bad and good queries and transactions against one schema, run through the official checks
// (`validateQuery` / `validateTransactions` of @instantdb/core, which @instantdb/admin 1.0.67 calls
// with its schema). schema-validation.test.mjs compares them with instant-edge live;
// `node schema-cases.mjs dump > ../fixtures/schema-validation.json` writes what the Rust unit
// tests (src/schema/check.rs) compare with.
import { i, validateQuery, validateTransactions } from '@instantdb/core';
const G = '0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10', T = '6c8a4f1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b';
export const schema = i.schema({
  entities: {
    goals: i.entity({ title: i.string().indexed(), priority: i.number().indexed().optional(), slug: i.string().unique().indexed().optional(),
      meta: i.json().optional(), due: i.date().optional() }),
    todos: i.entity({ text: i.string().optional(), done: i.boolean().indexed().optional() }),
    $users: i.entity({ email: i.string().unique().indexed().optional() }),
  },
  links: {
    goalsTodos: { forward: { on: 'goals', has: 'many', label: 'todos' }, reverse: { on: 'todos', has: 'one', label: 'goal' } },
    goalsOwner: { forward: { on: 'goals', has: 'one', label: 'owner' }, reverse: { on: '$users', has: 'many', label: 'goals' } },
  },
});
const w = (where) => ({ goals: { $: { where } } });
export const queries = [
  [], null, 'goals', { goals: [] }, { goal: {} }, { goals: 5 }, { goals: null }, { goals: { todoz: {} } }, { goals: { todos: { nope: {} } } },
  { goals: { $: 5 } }, { goals: { $: { foo: 1 } } }, { goals: { todos: { $: { limit: 5, offset: 2 } } } }, { goals: { todos: { $: { first: 2 } } } },
  { goals: { $: { where: 5 } } }, w({ nope: 1 }), w({ title: 5 }), w({ priority: { $gt: 'x' } }), w({ title: { $in: 'x' } }),
  w({ title: { $in: ['a', 1] } }), w({ title: { $foo: 1 } }), { todos: { $: { where: { text: { $ilike: '%a%' } } } } },
  w({ title: { $like: 5 } }), w({ title: { $isNull: 'yes' } }), w({ todos: 'not-a-uuid' }), w({ 'todos.nope': 1 }), w({ 'todoz.text': 1 }),
  w({ 'todos.id': 'x' }), w({ 'todos.done': 'yes' }), w({ or: [{ title: 1 }] }), w({ and: [{ title: 'a' }, { nope: 1 }] }), w({ id: 5 }),
  w({ meta: { a: 1 } }), w({ due: true }), w({ 'owner.email': 5 }), w({ 'todos.goal': 'x' }), w({ title: [1] }), w({ priority: { $ne: true, $lt: 2 } }),
  { goals: { $: { where: { title: 'a', priority: { $gt: 1 }, 'todos.done': true, todos: T }, limit: 5, order: { title: 'asc' } }, todos: {} } },
  { goals: { todos: { $: { where: { done: 'x' } } } } }, { $$ruleParams: { a: 1 }, goals: {} }, w({ title: null }), w({ id: { $in: [G, 3] } }),
  w({ or: [{ title: 'a' }, { and: [{ 'owner.email': 'x' }, { priority: 'no' }] }] }), { todos: { goal: { owner: { goals: { $: { where: { nope: 1 } } } } } } },
  { goals: { $: { where: {} , fields: ['title'] } } }, w({ 'todos.goal.owner.email': 'a' }), w({ 'todos.goal.owner.nope': 'a' }),
];
export const txs = [
  [['update', 'goalz', G, { title: 'a' }]], [['update', 'goals', G, { title: 5 }]], [['update', 'goals', 'goal-1', { title: 'a' }]],
  [['update', 'goals', '0d3c5d2e-5b0e-9b7b-9d47-5a1f0a3b2c10', {}]], [['link', 'goals', G, { todoz: T }]], [['link', 'goals', G, { todos: 'bad' }]],
  [['link', 'goals', G, { todos: [T, 'bad'] }]], [['link', 'goals', G, { todos: 'lookup__text__"a"' }]], [['update', 'goals', G, 'x']],
  [['link', 'goals', G, 5]], [['delete', 'nope', G]], [['update', 'goals', G, { other: 1 }]], [['update', 'goals', G, { priority: 'x' }]],
  [['update', 'todos', T, { done: 1 }]], [['update', 'goals', G, { due: true }]], [['update', 'goals', G, { meta: [1, { a: 2 }] }]],
  [['update', 'goals', ['slug', 'a'], { title: 'x' }]], [['unlink', 'goals', G, { todos: 5 }]], [['link', 'goals', G, { owner: { email: 'a' } }]],
  [['create', 'todos', T, { text: 'a', done: false }], ['merge', 'goals', G, { meta: { a: 1 }, id: 5 }]], [5], [['update', 5, G, {}]],
  [['link', 'goals', G, { todos: [[1, null, 'x'], 2.5] }]], [['update', 'goals', G, { title: null, due: 5 }]], [['ruleParams', 'nope', G, { a: 1 }]],
  [['update', 'goals', 7, {}]], [['link', 'todos', T, { goal: null }]], [['update', '$users', G, { email: true }]],
];
const run = (f) => { try { f(); return null; } catch (e) { return [e.name, e.message]; } };
export const expected = {
  queries: queries.map((q) => [q, run(() => validateQuery(q, schema))]),
  txs: txs.map((ops) => [ops, run(() => validateTransactions([{ __ops: ops }], schema))]),
};
if (process.argv[2] === 'dump') console.log(JSON.stringify({ schema, ...expected }, null, 1));
