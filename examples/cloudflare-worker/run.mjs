// Runs worker.mjs in workerd (Miniflare) against the emulator named by INSTANT_API_URI, with the
// platform token INSTANT_PLATFORM_TOKEN (the worker makes its own app), prints what it answers,
// and exits 0 only on a 200. The worker is bundled as wrangler does it: `instant-edge` and
// `instant-edge/platform` resolved through their `workerd` exports, each .wasm kept as a separate
// module that workerd compiles. Miniflare listens on a free loopback port, and the transcript
// is asked for at that address, so the Worker knows where webhooks can reach it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';

const env = Object.fromEntries(['INSTANT_API_URI', 'INSTANT_PLATFORM_TOKEN'].map((k) => [k, process.env[k]]));
if (Object.values(env).some((v) => !v)) {
  console.error('Set INSTANT_API_URI and INSTANT_PLATFORM_TOKEN (cargo xtask demo does).');
  process.exit(2);
}
const out = mkdtempSync(join(tmpdir(), 'instant-edge-demo-'));
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
    bindings: env,
    // Listening on loopback, so that the emulator can deliver the transcript's webhook to the
    // Worker's `/hook` (the Worker registers its own URL, which it reads from the request).
    host: '127.0.0.1',
    port: 0,
  });
  try {
    const url = await mf.ready;
    const response = await mf.dispatchFetch(url.href);
    const text = await response.text();
    console.log(`\nworkerd answered ${response.status}:\n\n${text}`);
    process.exitCode = response.status === 200 ? 0 : 1;
  } finally {
    await mf.dispose();
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
