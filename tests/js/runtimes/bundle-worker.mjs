// Bundles a Worker module as wrangler would for workerd (the package resolved through its
// `workerd` condition, each wasm module kept as its own file) into a fresh temporary directory.
// Node only: the workerd runners import it (host.mjs is also loaded by Deno and Bun).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundles `entry` (a path relative to this directory) and answers the output directory (the
 * caller removes it) and the names of the files written there; a failed build leaves nothing. */
export async function bundleWorker(entry, prefix) {
  const out = mkdtempSync(join(tmpdir(), prefix));
  await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    loader: { '.wasm': 'copy' },
    outdir: out,
    logLevel: 'warning',
  }).catch((error) => {
    rmSync(out, { recursive: true, force: true });
    throw error;
  });
  return { out, files: readdirSync(out) };
}
