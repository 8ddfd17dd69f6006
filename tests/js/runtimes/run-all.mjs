// Runs every runner as a child process and prints one `runtime <name>: N passed, M failed` line
// each (cargo xtask reads these); exits non-zero when any runtime failed or ran nothing.
// `node run-all.mjs deno bun` runs only those.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const runtimes = [
  ['node', process.execPath, ['run-node.mjs']],
  // The `deno` npm package cannot be locked on this registry mirror (npm ci refuses its lock:
  // the other platforms' packages are missing), so the Linux x64 binary package is a direct
  // dependency and is run by path.
  ['deno', `${here}node_modules/@deno/linux-x64-glibc/deno`, ['run', '-A', 'run-deno.mjs']],
  ['bun', `${here}node_modules/.bin/bun`, ['run-bun.mjs']],
  ['workerd', process.execPath, ['run-workerd.mjs']],
  // A webhook receiver Worker fed by the emulator's real deliveries.
  ['workerd-webhooks', process.execPath, ['run-workerd-webhooks.mjs']],
  ['chromium', process.execPath, ['run-chromium.mjs']],
  ['types', process.execPath, ['run-types.mjs']],
];
const only = process.argv.slice(2);
const unknown = only.filter((name) => !runtimes.some(([n]) => n === name));
if (unknown.length) {
  console.log(`unknown runtime ${unknown.join(', ')}; known: ${runtimes.map(([n]) => n).join(', ')}`);
  process.exit(2);
}
const lines = [];
let failed = false;
for (const [name, command, args] of runtimes.filter(([n]) => only.length === 0 || only.includes(n))) {
  const started = Date.now();
  const child = spawnSync(command, args, {
    cwd: here,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 240_000, // the suite, then hostile.mjs (whose checks stop starting after 90 s)
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${child.stdout ?? ''}${child.stderr ?? ''}`;
  process.stdout.write(output);
  const summary = [...output.matchAll(new RegExp(`^${name}: (\\d+) passed, (\\d+) failed$`, 'gm'))].at(-1);
  const ok = child.status === 0 && summary && Number(summary[1]) > 0 && Number(summary[2]) === 0;
  failed ||= !ok;
  const counts = summary
    ? `${summary[1]} passed, ${summary[2]} failed${ok ? '' : ` (exit ${child.status ?? child.signal})`}`
    : `0 passed, 1 failed (${child.error ?? `exit ${child.status ?? child.signal}`}, no summary line)`;
  lines.push(`runtime ${name}: ${counts}   (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
console.log(`\n${lines.join('\n')}`);
process.exit(failed ? 1 : 0);
