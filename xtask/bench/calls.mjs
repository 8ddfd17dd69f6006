// `cargo xtask bench` (calls): per-call overhead of a small query, a 5 MB / 20,000-entity result,
// and a 1,000-step transaction; instant-edge vs the official @instantdb/admin (pinned) vs raw
// `fetch` of the same request, arms interleaved (A B C B C A ...) in one Node process. Prints
// tables; writes JSON to BENCH_OUT when set.
import { writeFileSync } from 'node:fs';
import { init as initEdge, id } from '../../pkg/node.js';
import { init as initOfficial } from '@instantdb/admin';

const apiURI = process.env.INSTANT_API_URI;
if (!apiURI) throw new Error('run through `cargo xtask bench`, which starts the emulator');
const scale = Number(process.env.BENCH_SCALE ?? 1);

// Every section gets a fresh app: the emulator copies an app's state on each write, so a big
// app slows writes down (the transact section would otherwise pay for the large result's data).
let edge, edgeDefaults, official, raw;
async function freshApp() {
  const response = await fetch(`${apiURI}/__emulator/apps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const { 'app-id': appId, 'admin-token': adminToken } = await response.json();
  // Like the official client: no retries, no timeout. `edgeDefaults` is what a user gets
  // without options (3 retries, a 30 s timeout per call).
  edge = initEdge({ appId, adminToken, apiURI, retries: 0, timeout: 0 });
  edgeDefaults = initEdge({ appId, adminToken, apiURI });
  official = initOfficial({ appId, adminToken, apiURI });
  const headers = { 'content-type': 'application/json', 'app-id': appId, authorization: `Bearer ${adminToken}` };
  raw = async (route, body) => {
    const answer = await fetch(`${apiURI}/admin/${route}?app_id=${appId}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (answer.status !== 200) throw new Error(`${route}: ${answer.status} ${await answer.text()}`);
    return answer.json();
  };
}

/**
 * Runs the arms interleaved `rounds` times after `warmup`, returning each arm's durations (ms).
 * The order rotates every round (A B C, B C A, C A B, ...): with a fixed order, state that grows
 * with every call (the transact section adds 1,000 entities per call, and the emulator's writes
 * slow down as an app grows) and any cost one arm leaves to the next (GC) would always fall on
 * the same arm.
 */
async function interleaved(arms, rounds, warmup) {
  const list = Object.entries(arms);
  const times = Object.fromEntries(list.map(([name]) => [name, []]));
  for (let round = 0; round < warmup + rounds; round += 1) {
    for (let k = 0; k < list.length; k += 1) {
      const [name, arm] = list[(round + k) % list.length];
      const start = performance.now();
      await arm();
      if (round >= warmup) times[name].push(performance.now() - start);
    }
  }
  return times;
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const table = (title, times, baseline) => {
  const base = median(times[baseline]);
  const rows = Object.entries(times).map(([arm, list]) => ({
    arm,
    medianMs: Number(median(list).toFixed(3)),
    ratio: Number((median(list) / base).toFixed(3)),
  }));
  console.log(`\n${title}`);
  console.log(`| arm | median | vs ${baseline} |`);
  console.log('|---|---:|---:|');
  for (const row of rows) console.log(`| ${row.arm} | ${row.medianMs} ms | ${row.ratio.toFixed(3)} |`);
  return { title, baseline, rows };
};

const results = [];

// 1. Per-call overhead: a small query.
await freshApp();
const small = { benchSmall: { $: { limit: 1 } } };
await raw('transact', { steps: [['update', 'benchSmall', id(), { n: 1 }]] });
results.push(table(
  `small query: ${2000 * scale} calls per arm`,
  await interleaved({
    'raw fetch': () => raw('query', { query: small, 'inference?': false }),
    'instant-edge': () => edge.query(small),
    'instant-edge, default options': () => edgeDefaults.query(small),
    '@instantdb/admin 1.0.67': () => official.query(small),
  }, 2000 * scale, 200),
  'raw fetch',
));

// 2. A transaction of 1,000 steps (fresh ids each time, so every arm does the same work); before
// the large data exists, since the emulator copies an app's state on every write.
await freshApp();
const thousand = (db) => Array.from({ length: 1_000 }, (_, i) => db.tx.benchTx[id()].update({ i, label: `step ${i}` }));
results.push(table(
  `transact: 1,000 steps, ${15 * scale} calls per arm`,
  await interleaved({
    'raw fetch': () => raw('transact', { steps: thousand(edge).flatMap((c) => c.__ops), 'throw-on-missing-attrs?': false }),
    'instant-edge': () => edge.transact(thousand(edge)),
    '@instantdb/admin 1.0.67': () => official.transact(thousand(official)),
  }, 15 * scale, 2),
  '@instantdb/admin 1.0.67',
));

// 3. A large result: 20,000 entities, ~5 MB of JSON.
await freshApp();
const padding = 'x'.repeat(220);
for (let start = 0; start < 20_000; start += 2_000) {
  const steps = [];
  for (let i = start; i < start + 2_000; i += 1) steps.push(['update', 'benchLarge', id(), { i, padding, tags: ['a', 'b'], score: i / 7 }]);
  await raw('transact', { steps });
}
const large = { benchLarge: {} };
const bytes = JSON.stringify(await raw('query', { query: large, 'inference?': false })).length;
results.push(table(
  `large result: 20,000 entities, ${(bytes / 1e6).toFixed(1)} MB, ${40 * scale} calls per arm`,
  await interleaved({
    'raw fetch': () => raw('query', { query: large, 'inference?': false }),
    'instant-edge': () => edge.query(large),
    '@instantdb/admin 1.0.67': () => official.query(large),
  }, 40 * scale, 3),
  'raw fetch',
));

if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify({ benchmark: 'calls', node: process.version, results }, null, 2));
