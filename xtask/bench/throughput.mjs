// `cargo xtask bench` (throughput): small-query requests per second through the emulator, from
// a concurrent load generator (keep-alive fetch, 32 in flight), against a bare handler on the
// same server stack answering the same bytes (`/__emulator/bench/static`); arms alternate in
// 1-second slices. Prints a table; writes JSON to BENCH_OUT when set.
import { writeFileSync } from 'node:fs';

const apiURI = process.env.INSTANT_API_URI;
const appId = process.env.INSTANT_APP_ID;
const adminToken = process.env.INSTANT_APP_ADMIN_TOKEN;
if (!apiURI) throw new Error('run through `cargo xtask bench`, which starts the emulator');
const CONCURRENCY = 32;
const SLICES = Number(process.env.BENCH_SLICES ?? 6);
const headers = { 'content-type': 'application/json', 'app-id': appId, authorization: `Bearer ${adminToken}` };
const steps = Array.from({ length: 20 }, (_, i) => ['update', 'benchThroughput', crypto.randomUUID(), { i, title: `item ${i}` }]);
await fetch(`${apiURI}/admin/transact?app_id=${appId}`, { method: 'POST', headers, body: JSON.stringify({ steps }) });
const queryBody = JSON.stringify({ query: { benchThroughput: { $: { limit: 5 } } }, 'inference?': false });
const answer = await (await fetch(`${apiURI}/admin/query?app_id=${appId}`, { method: 'POST', headers, body: queryBody })).arrayBuffer();
await fetch(`${apiURI}/__emulator/bench/static`, { method: 'PUT', body: answer });

const arms = {
  'emulator /admin/query (small query)': () => fetch(`${apiURI}/admin/query?app_id=${appId}`, { method: 'POST', headers, body: queryBody }),
  'bare handler, same bytes': () => fetch(`${apiURI}/__emulator/bench/static`, { method: 'POST', headers, body: queryBody }),
};
const stats = Object.fromEntries(Object.keys(arms).map((name) => [name, { requests: 0, ms: 0, latencies: [] }]));
async function slice(name, ms) {
  const send = arms[name];
  const end = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const start = performance.now();
      const response = await send();
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${name}: ${response.status}`);
      stats[name].latencies.push(performance.now() - start);
      stats[name].requests += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  stats[name].ms += performance.now() - started;
}
for (const name of Object.keys(arms)) await slice(name, 500); // warm-up
for (const s of Object.values(stats)) Object.assign(s, { requests: 0, ms: 0, latencies: [] });
for (let i = 0; i < SLICES; i += 1) for (const name of Object.keys(arms)) await slice(name, 1000);

const quantile = (list, q) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(q * list.length))];
const rows = Object.entries(stats).map(([arm, s]) => ({
  arm,
  requestsPerSecond: Math.round(s.requests / (s.ms / 1000)),
  p50Ms: Number(quantile(s.latencies, 0.5).toFixed(2)),
  p99Ms: Number(quantile(s.latencies, 0.99).toFixed(2)),
}));
const ratio = rows[0].requestsPerSecond / rows[1].requestsPerSecond;
console.log(`throughput: ${CONCURRENCY} concurrent keep-alive requests, ${SLICES} alternating 1 s slices per arm, Node ${process.version} load generator on the same machine`);
console.log('| arm | requests/s | p50 | p99 |');
console.log('|---|---:|---:|---:|');
for (const row of rows) console.log(`| ${row.arm} | ${row.requestsPerSecond} | ${row.p50Ms} ms | ${row.p99Ms} ms |`);
console.log(`query / bare handler: ${ratio.toFixed(3)}`);
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify({ benchmark: 'throughput', concurrency: CONCURRENCY, rows, ratio: Number(ratio.toFixed(3)) }, null, 2));
