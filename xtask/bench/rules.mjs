// `cargo xtask bench` (rules): what permission rules cost the emulator. The same query of 1,000
// `todos` runs as admin (no rule evaluated) and impersonated under a `data.ref` view rule (one
// evaluation per entity, following the `owner` link), arms interleaved in one Node process over
// raw `fetch`. Compiled rules are cached per app and rules document, so the ratio is the price
// of evaluation, not of compilation. Prints a table; writes JSON to BENCH_OUT when set.
import { writeFileSync } from 'node:fs';

const apiURI = process.env.INSTANT_API_URI;
if (!apiURI) throw new Error('run through `cargo xtask bench`, which starts the emulator');
const scale = Number(process.env.BENCH_SCALE ?? 1);
const json = { 'content-type': 'application/json' };

const post = async (path, headers, body) => {
  const answer = await fetch(`${apiURI}${path}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });
  const text = await answer.text();
  if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${text}`);
  return JSON.parse(text);
};

const schema = {
  entities: { todos: { attrs: { title: { valueType: 'string', config: { indexed: false, unique: false } } } } },
  links: { todoOwner: { forward: { on: 'todos', has: 'one', label: 'owner' }, reverse: { on: '$users', has: 'many', label: 'todos' } } },
};
const { 'app-id': appId, 'admin-token': adminToken } = await post('/__emulator/apps', {}, { schema });
const admin = { 'app-id': appId, authorization: `Bearer ${adminToken}` };
const { user } = await post('/admin/refresh_tokens', admin, { email: 'owner@example.com' });
const steps = [];
for (let i = 0; i < 1000; i += 1) {
  const todo = crypto.randomUUID();
  steps.push(['update', 'todos', todo, { title: `todo ${i}` }], ['link', 'todos', todo, { owner: user.id }]);
}
await post('/admin/transact', admin, { steps });
await post(`/__emulator/apps/${appId}/rules`, {}, { todos: { allow: { view: "auth.id in data.ref('owner.id')" } } });

const query = { query: { todos: {} } };
const arms = {
  admin: () => post('/admin/query', admin, query),
  'impersonated, data.ref rule': () => post('/admin/query', { 'app-id': appId, 'as-token': user.refresh_token }, query),
};
for (const [name, arm] of Object.entries(arms)) {
  const { todos } = await arm();
  if (todos.length !== 1000) throw new Error(`${name} saw ${todos.length} todos, not 1,000`);
}

const rounds = 30 * scale;
const times = Object.fromEntries(Object.keys(arms).map((name) => [name, []]));
const list = Object.entries(arms);
for (let round = 0; round < rounds + 3; round += 1) {
  for (let k = 0; k < list.length; k += 1) {
    const [name, arm] = list[(round + k) % list.length];
    const start = performance.now();
    await arm();
    if (round >= 3) times[name].push(performance.now() - start);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(times.admin);
const results = Object.entries(times).map(([arm, values]) => ({
  arm,
  medianMs: Number(median(values).toFixed(3)),
  ratio: Number((median(values) / base).toFixed(3)),
}));
console.log(`\nquery of 1,000 todos, admin vs impersonated under a data.ref view rule: ${rounds} calls per arm`);
console.table(results);
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify({ benchmark: 'rules', node: process.version, results }, null, 2));
