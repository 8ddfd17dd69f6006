// workerd through Miniflare: bundle worker.mjs as wrangler would (conditions workerd, worker,
// browser; the .wasm stays a separate CompiledWasm module), run it, read the suite's outcome.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { freshApp, report } from './suite.mjs';

const out = mkdtempSync(join(tmpdir(), 'instant-edge-workerd-'));
let ok = false;
try {
  await build({
    entryPoints: [new URL('./worker.mjs', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    loader: { '.wasm': 'copy' },
    outdir: out,
    logLevel: 'warning',
  });
  const app = await freshApp(process.env.INSTANT_API_URI);
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(out, 'worker.js'),
    modulesRoot: out,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2026-04-20',
    cf: false,
    bindings: { API_URI: app.apiURI, APP_ID: app.appId, ADMIN_TOKEN: app.adminToken },
  });
  try {
    const response = await mf.dispatchFetch('http://localhost/');
    const text = await response.text();
    if (response.status !== 200) throw new Error(`worker answered ${response.status}: ${text}`);
    ok = report('workerd', JSON.parse(text));
  } finally {
    await mf.dispose();
  }
} catch (error) {
  console.log(`workerd: 0 passed, 1 failed\n${error?.stack ?? error}`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
