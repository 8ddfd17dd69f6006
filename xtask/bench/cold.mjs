// `cargo xtask bench` (cold): bundle size and cold start of a query-only Worker/script with
// instant-edge vs the official @instantdb/admin (pinned). Bundles are made by esbuild as wrangler
// would (minified; `workerd`, `worker`, `browser` conditions; our .wasm a separate module) and
// measured as gzip -9 bytes (each file alone, summed). Cold start in Node: a fresh Node process
// per run imports a Node bundle of the same script and calls `init`, timing just that (processes
// interleaved, ours / official). Cold start in workerd: a fresh `workerd serve` per run and
// Worker, timed by workerd itself (its Perfetto trace): building the Worker (isolate, module
// compilation, top-level evaluation: the import) + handling its first request (`init` and a
// trivial call), next to an empty Worker. Prints tables; writes JSON to BENCH_OUT when set.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { slices } from './perfetto.mjs';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 20);
const work = mkdtempSync(join(tmpdir(), 'instant-edge-cold-'));
const worker = (module) => `import { init } from '${module}';
export default {
  async fetch(request, env) {
    const db = init({ appId: env.APP_ID, adminToken: env.ADMIN_TOKEN, apiURI: env.API_URI });
    return Response.json(await db.query({ goals: {} }));
  },
};
`;
const full = `export * from 'instant-edge';\n`;
const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;

async function bundle(name, source, conditions, platform) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'entry.mjs');
  writeFileSync(entry, source);
  await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    conditions,
    mainFields: platform === 'neutral' ? ['browser', 'module', 'main'] : undefined,
    loader: { '.wasm': 'copy' },
    outdir: join(dir, 'out'),
    nodePaths: [join(import.meta.dirname, 'node_modules')],
    logLevel: 'error',
  });
  const out = join(dir, 'out');
  const files = readdirSync(out);
  return { dir: out, files, gzip: files.reduce((sum, f) => sum + gz(join(out, f)), 0) };
}

const worker_ = ['workerd', 'worker', 'browser'];
const sizes = {
  'instant-edge, query-only Worker': await bundle('edge-worker', worker('instant-edge'), worker_, 'neutral'),
  '@instantdb/admin 1.0.67, query-only Worker': await bundle('official-worker', worker('@instantdb/admin'), worker_, 'neutral'),
  'instant-edge, the whole package': await bundle('edge-full', full, worker_, 'neutral'),
};
console.log('\nbundle size (esbuild --minify as wrangler bundles, gzip -9)');
console.log('| bundle | files | gzip -9 |');
console.log('|---|---|---:|');
for (const [name, b] of Object.entries(sizes)) console.log(`| ${name} | ${b.files.join(' + ')} | ${b.gzip} B |`);

// Cold start in Node: the same script bundled for Node; the wasm next to the bundle where the
// `node` entry looks for it.
const nodeScript = (module) => `import { init } from '${module}';
export const start = () => init({ appId: '8aa64e4c-64f9-472e-8a61-3fa28870e6cb', adminToken: '0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0', apiURI: 'http://127.0.0.1:9' });
`;
const nodeBundles = {
  'instant-edge': await bundle('edge-node', nodeScript('instant-edge'), ['node'], 'node'),
  '@instantdb/admin 1.0.67': await bundle('official-node', nodeScript('@instantdb/admin'), ['node'], 'node'),
};
const wasm = join(import.meta.dirname, '../../pkg/dist/instant_edge_bg.wasm');
mkdirSync(join(nodeBundles['instant-edge'].dir, 'dist'), { recursive: true });
copyFileSync(wasm, join(nodeBundles['instant-edge'].dir, 'dist/instant_edge_bg.wasm'));
const probe = (b) => `const t0 = performance.now();
const { start } = await import(${JSON.stringify(join(b.dir, 'entry.js'))});
start();
console.log(performance.now() - t0);
`;
const cold = Object.fromEntries(Object.keys(nodeBundles).map((name) => [name, []]));
for (let run = 0; run < RUNS + 2; run += 1) {
  for (const [name, b] of Object.entries(nodeBundles)) {
    const ms = Number(execFileSync(process.execPath, ['--input-type=module', '-e', probe(b)], { encoding: 'utf8' }).trim());
    if (run >= 2) cold[name].push(ms);
  }
}
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const coldRows = Object.entries(cold).map(([arm, list]) => ({ arm, medianMs: Number(median(list).toFixed(2)) }));
console.log(`\ncold start in Node ${process.version}: import + init of the bundle, fresh process, median of ${RUNS}`);
console.log('| client | median |');
console.log('|---|---:|');
for (const row of coldRows) console.log(`| ${row.arm} | ${row.medianMs} ms |`);
const nodeRatio = Number((coldRows[0].medianMs / coldRows[1].medianMs).toFixed(3));
console.log(`ours / official (both esbuild --minify bundles): ${nodeRatio.toFixed(3)}`);

// Cold start in workerd: the binary the `workerd` npm package installs (the version Miniflare
// 4.20260426.0 runs), one fresh process per run and Worker, arms interleaved. workerd's Perfetto
// spans time the Worker alone, without process start-up, sockets or the client:
// `Server::makeWorker()` (new isolate, module compilation including the .wasm as a compiled
// module, top-level evaluation: our entry's `initSync`) and `ServiceWorkerGlobalScope::request()`
// of the first request (the fetch handler: `init` + one `tx` step with a fresh `id()`). Bundled
// like the size section's Workers (esbuild --minify, wrangler's conditions, our .wasm a separate
// module, given to workerd as `wasm = embed`).
const workerd = createRequire(import.meta.url)('workerd'); // { default: the binary's path, version }
const coldWorker = (module) => `import { init, id } from '${module}';
export default {
  fetch() {
    const db = init({ appId: '8aa64e4c-64f9-472e-8a61-3fa28870e6cb', adminToken: '0c2a3f6e-7a6f-4a41-9d64-9d0e3ad2c1f0', apiURI: 'http://127.0.0.1:9' });
    const step = db.tx.goals[id()].update({ title: 'cold' });
    return new Response(step ? 'ok' : 'no step');
  },
};
`;
const workerdBundles = {
  'empty Worker': await bundle('empty-workerd', `export default { fetch: () => new Response('ok') };\n`, worker_, 'neutral'),
  'instant-edge': await bundle('edge-workerd', coldWorker('instant-edge'), worker_, 'neutral'),
  '@instantdb/admin 1.0.67': await bundle('official-workerd', coldWorker('@instantdb/admin'), worker_, 'neutral'),
};
for (const b of Object.values(workerdBundles)) {
  // The main module comes first; the others are named as the bundle imports them.
  const modules = ['entry.js', ...b.files.filter((f) => f !== 'entry.js')]
    .map((f) => `(name = "${f}", ${f.endsWith('.wasm') ? 'wasm' : 'esModule'} = embed "${f}")`);
  writeFileSync(join(b.dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ ${modules.join(', ')} ],
  compatibilityDate = "2026-04-20",
);
`);
}

/** One fresh workerd serving `b`: its first request answered, then workerd's own timings. */
async function workerdOnce(b) {
  const trace = join(b.dir, 'trace.pftrace');
  rmSync(trace, { force: true });
  const child = spawn(workerd.default, ['serve', 'config.capnp', '--control-fd=3', `--perfetto-trace=${trace}=workerd`], {
    cwd: b.dir,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    const port = await new Promise((resolve, reject) => {
      let control = '';
      child.stdio[3].on('data', (d) => {
        control += d;
        const lines = control.split('\n').slice(0, -1); // whole lines only
        const listen = lines.map((l) => JSON.parse(l)).find((m) => m.event === 'listen');
        if (listen) resolve(listen.port);
      });
      exited.then((code) => reject(new Error(`workerd exited (${code}) before listening: ${stderr}`)));
    });
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    if (response.status !== 200 || text !== 'ok') throw new Error(`the Worker answered ${response.status}: ${text} ${stderr}`);
  } finally {
    child.kill('SIGTERM'); // workerd drains and writes the end of its trace
    await exited;
  }
  const spans = slices(trace);
  const only = (name) => {
    const found = spans.filter((s) => s.name === name);
    if (found.length !== 1) throw new Error(`the trace has ${found.length} ${name} spans, not 1`);
    return found[0].ms;
  };
  return { startup: only('Server::makeWorker()'), request: only('ServiceWorkerGlobalScope::request()') };
}

const workerdTimes = Object.fromEntries(Object.keys(workerdBundles).map((name) => [name, []]));
const workerdArms = Object.entries(workerdBundles);
for (let run = 0; run < RUNS + 2; run += 1) {
  // Interleaved, the order rotating every run.
  for (let k = 0; k < workerdArms.length; k += 1) {
    const [name, b] = workerdArms[(run + k) % workerdArms.length];
    const t = await workerdOnce(b);
    if (run >= 2) workerdTimes[name].push(t);
  }
}
const workerdRows = Object.entries(workerdTimes).map(([arm, list]) => ({
  arm,
  startupMs: Number(median(list.map((t) => t.startup)).toFixed(2)),
  firstRequestMs: Number(median(list.map((t) => t.request)).toFixed(2)),
  medianMs: Number(median(list.map((t) => t.startup + t.request)).toFixed(2)),
}));
const [empty, edgeW, officialW] = workerdRows;
for (const row of workerdRows) row.overEmptyMs = Number((row.medianMs - empty.medianMs).toFixed(2));
const workerdRatio = Number((edgeW.medianMs / officialW.medianMs).toFixed(3));
const workerdOverEmptyRatio = Number((edgeW.overEmptyMs / officialW.overEmptyMs).toFixed(3));
console.log(`\ncold start in workerd ${workerd.version}: fresh process per run, workerd's own timing (Perfetto), median of ${RUNS}`);
console.log('| Worker | start-up (Server::makeWorker) | first request (handler) | cold start (sum) | over the empty Worker |');
console.log('|---|---:|---:|---:|---:|');
for (const row of workerdRows) {
  console.log(`| ${row.arm} | ${row.startupMs} ms | ${row.firstRequestMs} ms | ${row.medianMs} ms | ${row.overEmptyMs} ms |`);
}
console.log(`ours / official: ${workerdRatio.toFixed(3)} (over the empty Worker: ${workerdOverEmptyRatio.toFixed(3)})`);

if (process.env.BENCH_OUT) {
  const out = {
    benchmark: 'cold',
    sizes: Object.fromEntries(Object.entries(sizes).map(([name, b]) => [name, { files: b.files, gzip: b.gzip }])),
    coldStartNode: coldRows,
    coldStartNodeRatio: nodeRatio,
    coldStartWorkerd: workerdRows,
    coldStartWorkerdRatio: workerdRatio,
    coldStartWorkerdOverEmptyRatio: workerdOverEmptyRatio,
  };
  writeFileSync(process.env.BENCH_OUT, JSON.stringify(out, null, 2));
}
rmSync(work, { recursive: true, force: true });
