// `cargo xtask bench` (platform): instant-edge/platform vs the official @instantdb/platform
// (pinned) through the emulator, in one Node process. Each round gives each client fresh apps
// and times `planSchemaPush` then `schemaPush` of a 50-entity × 10-attribute schema, into an
// empty app and onto one holding the attributes without their index and uniqueness (so that
// background jobs run and are polled); the order of the clients alternates every round. Then
// `getApps` with perms and schema, interleaved, for a user with one small app. Requests are
// counted by wrapping the global `fetch`, which both clients call per request. Also the size of
// what the platform entry loads (the files `cargo xtask size` counts, each gzipped alone by
// Node's zlib, summed) next to the official package bundled for a Worker. Prints tables;
// writes JSON to BENCH_OUT when set.
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import * as ours from '../../pkg/platform/node.js';
import * as official from '@instantdb/platform';

const apiURI = process.env.INSTANT_API_URI;
if (!apiURI) throw new Error('run through `cargo xtask bench`, which starts the emulator');
const scale = Number(process.env.BENCH_SCALE ?? 1);
const OURS = 'instant-edge/platform';
const OFFICIAL = '@instantdb/platform 1.0.67';
const clients = { [OURS]: ours, [OFFICIAL]: official };

// Every request either client makes, as `METHOD /path` with ids elided (to show the routes).
const send = globalThis.fetch;
let requests = [];
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  requests.push(`${method} ${url.pathname.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id')}`);
  return send(input, init);
};

/** A fresh Instant user (through the emulator's control route, not counted) and its PAT. */
async function userToken() {
  const email = `bench-${crypto.randomUUID()}@example.com`;
  const answer = await send(`${apiURI}/__emulator/platform/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  if (answer.status !== 200) throw new Error(`platform/users: ${answer.status} ${await answer.text()}`);
  return (await answer.json())['personal-access-token'];
}

/** 50 entities × 10 attributes, built by the client's own `i`: the four checked types in
 * rotation, the last three optional; with `constraints`, per entity one unique and two more
 * indexed attributes. */
function bigSchema({ i }, constraints) {
  const types = ['string', 'number', 'boolean', 'date'];
  const entities = {};
  for (let e = 0; e < 50; e += 1) {
    const attrs = {};
    for (let a = 0; a < 10; a += 1) {
      let attr = a === 0 ? i.string() : i[types[(e + a) % 4]]();
      if (constraints && a === 0) attr = attr.unique();
      if (constraints && a <= 2) attr = attr.indexed();
      if (a >= 7) attr = attr.optional();
      attrs[`a${a}`] = attr;
    }
    entities[`e${String(e).padStart(2, '0')}`] = i.entity(attrs);
  }
  return i.schema({ entities, links: {} });
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

/** Times `call` and counts its requests. */
async function measure(call) {
  requests = [];
  const start = performance.now();
  const result = await call();
  return { ms: performance.now() - start, requests: requests.length, routes: [...requests], result };
}

const names = Object.keys(clients);
const state = {};
for (const [name, client] of Object.entries(clients)) {
  const api = new client.PlatformApi({ auth: { token: await userToken() }, apiURI });
  state[name] = { api, schema: bigSchema(client, true), plain: bigSchema(client, false), times: {} };
}

// Plan and push, in two cases: into an empty app (a new attribute gets its index and uniqueness
// at once: no background job), and onto an app that has the same attributes without them (one
// job per index and per uniqueness, polled until done). Each round gives each client a fresh
// app per case; the plan leaves the app as it was, so the push that follows starts from the
// same one.
const cases = { empty: 'into an empty app', jobs: 'onto the same attributes without index or unique' };
const ROUNDS = 15 * scale;
const WARMUP = 2;
const routes = {};
const summaries = {};
for (let round = 0; round < WARMUP + ROUNDS; round += 1) {
  for (let k = 0; k < names.length; k += 1) {
    const name = names[(round + k) % names.length];
    const s = state[name];
    for (const key of Object.keys(cases)) {
      const { app } = await s.api.createApp({ title: `bench ${round}`, schema: key === 'jobs' ? s.plain : undefined });
      const plan = await measure(() => s.api.planSchemaPush(app.id, { schema: s.schema }));
      const push = await measure(() => s.api.schemaPush(app.id, { schema: s.schema }));
      const { summary } = push.result;
      if (summary.errorCount !== 0 || summary.inProgressCount !== 0) throw new Error(`${name}: push ended with ${JSON.stringify(summary).slice(0, 300)}`);
      const jobs = push.result.steps.filter((step) => step.backgroundJob).length;
      summaries[`${name} ${key}`] = { planSteps: plan.result.steps.length, jobs };
      routes[`${key}: ${name}`] = push.routes;
      if (round < WARMUP) continue;
      for (const [what, m] of [[`plan ${key}`, plan], [`push ${key}`, push]]) (s.times[what] ??= []).push(m);
    }
  }
}
for (const key of Object.keys(cases)) {
  const [a, b] = names.map((name) => JSON.stringify(summaries[`${name} ${key}`]));
  if (a !== b) throw new Error(`the clients disagree ${cases[key]}: ${a} vs ${b}`);
}

// getApps with perms and schema, for a user with one small app.
const small = (i) => i.schema({ entities: { goals: i.entity({ title: i.string().indexed(), done: i.boolean() }) }, links: {} });
const perms = { goals: { allow: { view: 'true' } } };
for (const [name, client] of Object.entries(clients)) {
  state[name].apps = new client.PlatformApi({ auth: { token: await userToken() }, apiURI });
  await state[name].apps.createApp({ title: 'small', schema: small(client.i), perms });
}
const CALLS = 200 * scale;
for (let round = 0; round < 20 + CALLS; round += 1) {
  for (let k = 0; k < names.length; k += 1) {
    const name = names[(round + k) % names.length];
    const call = await measure(() => state[name].apps.getApps({ includePerms: true, includeSchema: true }));
    if (call.result.apps.length !== 1) throw new Error(`${name}: getApps answered ${call.result.apps.length} apps`);
    if (round >= 20) (state[name].times.getApps ??= []).push(call);
  }
}

const results = [];
const table = (title, key) => {
  const rows = names.map((name) => ({
    arm: name,
    medianMs: Number(median(state[name].times[key].map((m) => m.ms)).toFixed(3)),
    requests: median(state[name].times[key].map((m) => m.requests)),
  }));
  const ratio = Number((rows[0].medianMs / rows[1].medianMs).toFixed(3));
  console.log(`\n${title}`);
  console.log('| client | median | requests per call |');
  console.log('|---|---:|---:|');
  for (const row of rows) console.log(`| ${row.arm} | ${row.medianMs} ms | ${row.requests} |`);
  console.log(`ours / official: ${ratio}`);
  results.push({ title, rows, ratio });
};
console.log(`\nplatform API through the emulator, Node ${process.version}: ${ROUNDS} rounds after ${WARMUP} warm-up, each client a fresh app per case and round, order alternating`);
console.log('schema: 50 entities × 10 attributes (string/number/boolean/date, 3 optional), per entity 1 unique + 3 indexed');
for (const [key, label] of Object.entries(cases)) {
  const { planSteps, jobs } = summaries[`${OURS} ${key}`];
  table(`planSchemaPush ${label} (${planSteps} plan steps)`, `plan ${key}`);
  table(`schemaPush ${label} (${jobs} background jobs)`, `push ${key}`);
}
console.log(
  '\nWith jobs, poll intervals dominate the push: both clients wait 100 ms before their first poll\n' +
    "(the official jobFetchLoop's schedule), and the emulator finishes each job on its first poll.\nRequests of the last push:",
);
for (const [label, list] of Object.entries(routes)) console.log(`  ${label}: ${list.join(', ')}`);
table(`getApps({ includePerms: true, includeSchema: true }): one small app, ${CALLS} calls each`, 'getApps');

// Size: what `instant-edge/platform` loads in a Worker, next to the official package bundled
// as wrangler would (esbuild --minify, Worker conditions), once with the names both export
// (tree-shaken) and once whole.
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const ourFiles = ['platform/workerd.js', 'dist/platform.js', 'dist/platform_bg.wasm'];
const ourGzip = ourFiles.reduce((sum, f) => sum + gz(readFileSync(new URL(`../../pkg/${f}`, import.meta.url))), 0);
async function officialBundle(source) {
  const out = await build({
    stdin: { contents: source, resolveDir: import.meta.dirname, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    write: false,
    logLevel: 'error',
  });
  return out.outputFiles.reduce((sum, f) => sum + gz(f.contents), 0);
}
const sizes = [
  { bundle: `${OURS}, workerd entry`, files: ourFiles.join(' + '), gzip: ourGzip },
  {
    bundle: `${OFFICIAL}, the same exports`,
    files: 'PlatformApi, ProgressPromise, apiSchemaToInstantSchemaDef, i',
    gzip: await officialBundle("export { PlatformApi, ProgressPromise, apiSchemaToInstantSchemaDef, i } from '@instantdb/platform';"),
  },
  { bundle: `${OFFICIAL}, the whole package`, files: "export * from '@instantdb/platform'", gzip: await officialBundle("export * from '@instantdb/platform';") },
];
console.log('\nsize in a Worker (the official bundled by esbuild --minify as wrangler would); each file gzipped alone, summed,');
console.log("by Node's zlib at level 9, which gives ~0.3% more than the GNU gzip -9 of `cargo xtask size`");
console.log('| bundle | what | gzip -9 |');
console.log('|---|---|---:|');
for (const s of sizes) console.log(`| ${s.bundle} | ${s.files} | ${s.gzip} B |`);
console.log(`ours / official (same exports): ${(ourGzip / sizes[1].gzip).toFixed(3)}`);

if (process.env.BENCH_OUT) {
  const out = { benchmark: 'platform', node: process.version, rounds: ROUNDS, results, pushRoutes: routes, sizes };
  writeFileSync(process.env.BENCH_OUT, JSON.stringify(out, null, 2));
}
