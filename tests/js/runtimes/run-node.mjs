// Node: `import('instant-edge')` resolves through the package's `node` condition.
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { main } from './host.mjs';

const pkgDir = realpathSync(new URL('./node_modules/instant-edge', import.meta.url));

// Every file an export loads, following relative imports and `new URL('…', import.meta.url)`.
const loaded = (entry, seen = new Set()) => {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  if (entry.endsWith('.js')) {
    const text = readFileSync(join(pkgDir, entry), 'utf8');
    for (const [, spec] of text.matchAll(/(?:from|import|new URL\()\s*'(\.\.?\/[^']+)'/g)) {
      loaded(normalize(join(dirname(entry), spec)), seen);
    }
  }
  return seen;
};

const checks = {
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
    const targets = [...Object.values(manifest.exports['.']), manifest.types].map((t) => relative('.', t));
    const needed = new Set(targets.flatMap((t) => [...loaded(t)]));
    const missing = [...needed].filter((f) => !packed.has(f));
    assert(missing.length === 0, `not in the tarball: ${missing.join(', ')}`);
    assert(needed.has('dist/instant_edge_bg.wasm') && needed.has('src/api.js'), `followed imports: ${[...needed]}`);
  },
};

const env = { get: (name) => process.env[name], set: (name, value) => (process.env[name] = value) };
process.exit((await main('node', { env, checks })) ? 0 : 1);
