// `cargo xtask bench` (cold): bundle size and cold start of a query-only Worker/script with
// instant-edge vs the official @instantdb/admin (pinned). Bundles are made by esbuild as wrangler
// would (minified; `workerd`, `worker`, `browser` conditions; our .wasm a separate module) and
// measured as gzip -9 bytes (each file alone, summed). Cold start: a fresh Node process per run
// imports a Node bundle of the same script and calls `init`, timing just that (processes
// interleaved, ours / official). Prints tables; writes JSON to BENCH_OUT when set.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

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
console.log(`ours / official: ${(coldRows[0].medianMs / coldRows[1].medianMs).toFixed(3)}`);
if (process.env.BENCH_OUT) {
  const out = {
    benchmark: 'cold',
    sizes: Object.fromEntries(Object.entries(sizes).map(([name, b]) => [name, { files: b.files, gzip: b.gzip }])),
    coldStartNode: coldRows,
  };
  writeFileSync(process.env.BENCH_OUT, JSON.stringify(out, null, 2));
}
rmSync(work, { recursive: true, force: true });
