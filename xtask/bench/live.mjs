// `cargo xtask bench` (live): transact-to-event latency through the emulator for a live query,
// our `subscribeQuery` against the official @instantdb/admin's, in one Node process. Each round
// writes once for each client's query (interleaved, alternating which goes first), the write
// sent by a raw fetch so both arms pay the same; latency = from sending the transact to the
// callback seeing the new value. Prints a table; writes JSON to BENCH_OUT when set.
import { writeFileSync } from 'node:fs';
import { init as initEdge, id } from '../../pkg/node.js';
import { init as initOfficial } from '@instantdb/admin';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const WARMUP = 20;
const apiURI = process.env.INSTANT_API_URI;
const appId = process.env.INSTANT_APP_ID;
const adminToken = process.env.INSTANT_APP_ADMIN_TOKEN;
if (!apiURI) throw new Error('run through `cargo xtask bench`, which starts the emulator');

const transact = async (entity, tag, n) => {
  const response = await fetch(`${apiURI}/admin/transact?app_id=${appId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, 'app-id': appId },
    body: JSON.stringify({ steps: [['update', 'benchLive', entity, { tag, n }]], 'throw-on-missing-attrs?': false }),
  });
  if (response.status !== 200) throw new Error(`transact: ${response.status} ${await response.text()}`);
};

/** One arm: a subscription whose callback resolves the waiter for value `n`. */
const arm = (name, db) => {
  const tag = id();
  const entity = id();
  let seen = -1;
  let waiter;
  const subscription = db.subscribeQuery({ benchLive: { $: { where: { tag } } } }, (payload) => {
    if (payload.type !== 'ok') throw payload.error;
    seen = payload.data.benchLive[0]?.n ?? -1;
    if (waiter && seen >= waiter.n) waiter.resolve(performance.now());
  });
  return {
    name,
    subscription,
    times: [],
    async write(n) {
      const arrived = new Promise((resolve) => (waiter = { n, resolve }));
      const start = performance.now();
      await transact(entity, tag, n);
      return (await arrived) - start;
    },
  };
};

const arms = [
  arm('instant-edge subscribeQuery', initEdge({ appId, adminToken, apiURI })),
  arm('@instantdb/admin 1.0.67 subscribeQuery', initOfficial({ appId, adminToken, apiURI })),
];
for (let n = 0; n < WARMUP + ROUNDS; n += 1) {
  const order = n % 2 === 0 ? arms : [...arms].reverse();
  for (const a of order) {
    const ms = await a.write(n);
    if (n >= WARMUP) a.times.push(ms);
  }
}
for (const a of arms) a.subscription.close();

const quantile = (list, q) => [...list].sort((x, y) => x - y)[Math.min(list.length - 1, Math.floor(q * list.length))];
const rows = arms.map((a) => ({ arm: a.name, p50Ms: Number(quantile(a.times, 0.5).toFixed(2)), p99Ms: Number(quantile(a.times, 0.99).toFixed(2)) }));
const result = { benchmark: 'live', rounds: ROUNDS, rows, p50Ratio: Number((rows[0].p50Ms / rows[1].p50Ms).toFixed(3)) };
console.log(`live: transact-to-event latency, ${ROUNDS} interleaved rounds per arm after ${WARMUP} warm-up, Node ${process.version}`);
console.log('| arm | p50 | p99 |');
console.log('|---|---:|---:|');
for (const row of rows) console.log(`| ${row.arm} | ${row.p50Ms} ms | ${row.p99Ms} ms |`);
console.log(`ours / official at p50: ${result.p50Ratio}`);
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(result, null, 2));
process.exit(0); // the official client's EventSource keeps the loop alive briefly after close
