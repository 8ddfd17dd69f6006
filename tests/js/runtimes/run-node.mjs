// Node: `import('instant-edge')` resolves through the package's `node` condition.
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from './host.mjs';

const pkgDir = realpathSync(new URL('./node_modules/instant-edge', import.meta.url));

// Every file an export loads, following relative imports and `new URL('…', import.meta.url)`
// (either quote: the minified files in dist/ use double quotes).
const loaded = (entry, seen = new Set()) => {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  if (entry.endsWith('.js')) {
    const text = readFileSync(join(pkgDir, entry), 'utf8');
    for (const [, , spec] of text.matchAll(/(?:from|import|new URL\()\s*(['"])(\.\.?\/[^'"]+)\1/g)) {
      loaded(normalize(join(dirname(entry), spec)), seen);
    }
  }
  return seen;
};

// The package's own wasm instance: initSync returns its exports once initialised. Export names
// are minified by the build, so the memory is found by its type.
const packageWasm = async () => {
  const { initSync } = await import(pathToFileURL(join(pkgDir, 'dist/api.js')).href);
  const exports = initSync({ module: readFileSync(join(pkgDir, 'dist/instant_edge_bg.wasm')) });
  return { memory: Object.values(exports).find((value) => value instanceof WebAssembly.Memory) };
};

const checks = {
  'live: wasm memory stays flat over 10,000 updates': async ({ init, id }, app, { assert }) => {
    const wasm = await packageWasm();
    const db = init(app);
    const [tag, counter] = [id(), id()];
    let last;
    let payloads = 0;
    const sub = db.subscribeQuery({ counters: { $: { where: { tag } } } }, (p) => {
      payloads += 1;
      last = p;
    });
    try {
      const settle = async (n) => {
        const started = Date.now();
        while ((last?.data?.counters?.[0]?.n ?? 0) !== n) {
          if (last?.type === 'error') throw last.error;
          if (Date.now() - started > 30_000) throw new Error(`no update ${n} after 30 s`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      await db.transact(db.tx.counters[counter].update({ tag, n: 0 }));
      await settle(0);
      const before = wasm.memory.buffer.byteLength;
      for (let n = 1; n <= 10_000; n += 1) await db.transact(db.tx.counters[counter].update({ tag, n }));
      await settle(10_000);
      const growth = wasm.memory.buffer.byteLength - before;
      console.log(`     node: 10,000 updates, ${payloads} payloads, wasm memory ${before} → ${before + growth} bytes`);
      assert(growth <= 128 * 1024, `wasm memory grew by ${growth} bytes`);
    } finally {
      sub.close();
    }
  },
  'storage: a Node Buffer and a Node Readable upload': async ({ init }, app, { assert }) => {
    const { Readable } = await import('node:stream');
    const db = init(app);
    const bytes = Buffer.from('node bytes '.repeat(1000));
    for (const [name, data] of [['buffer', bytes], ['readable', Readable.from([bytes.subarray(0, 5000), bytes.subarray(5000)])]]) {
      const events = [];
      await db.storage.uploadFile(`node/${name}.txt`, data, { onProgress: (p) => events.push(p.loaded) });
      const back = Buffer.from(await (await fetch(await db.storage.getDownloadUrl(`node/${name}.txt`))).arrayBuffer());
      assert(back.equals(bytes), `${name}: the same bytes back`);
      assert(events.at(-1) === bytes.length, `${name}: progress ends at the size`);
    }
  },
  'npm pack ships every file the exports load': (pkg, app, { assert }) => {
    const [{ files }] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkgDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const packed = new Set(files.map((f) => f.path));
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const targets = [...Object.values(manifest.exports['.']), ...Object.values(manifest.exports['./platform']), manifest.types].map((t) => relative('.', t));
    const needed = new Set(targets.flatMap((t) => [...loaded(t)]));
    const missing = [...needed].filter((f) => !packed.has(f));
    assert(missing.length === 0, `not in the tarball: ${missing.join(', ')}`);
    assert(needed.has('dist/instant_edge_bg.wasm') && needed.has('dist/api.js'), `followed imports: ${[...needed]}`);
    assert(needed.has('dist/platform_bg.wasm') && needed.has('dist/platform.js') && needed.has('platform.d.ts'), `followed imports: ${[...needed]}`);
  },
};

const env = { get: (name) => process.env[name], set: (name, value) => (process.env[name] = value) };
const hostile = { wasmMemory: async () => (await packageWasm()).memory.buffer.byteLength };
process.exit((await main('node', { env, checks, hostile })) ? 0 : 1);
