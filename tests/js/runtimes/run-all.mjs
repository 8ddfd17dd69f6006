// Runs the suite in every runtime, one child process each, and prints one line per runtime
// in the `N passed, M failed` form; exits non-zero when any runtime failed or ran nothing.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const bin = (name) => `${here}node_modules/.bin/${name}`;
const runtimes = [
  ['node', process.execPath, ['run-node.mjs']],
  // The deno npm package's lock entries are incomplete on this registry (npm ci refuses them):
  // depend on its Linux x64 binary package directly.
  ['deno', `${here}node_modules/@deno/linux-x64-glibc/deno`, ['run', '-A', 'run-deno.mjs']],
  ['bun', bin('bun'), ['run-bun.mjs']],
  ['workerd', process.execPath, ['run-workerd.mjs']],
  ['chromium', process.execPath, ['run-chromium.mjs']],
];
const only = process.argv.slice(2);
const lines = [];
let failed = false;
for (const [name, command, args] of runtimes.filter(([n]) => only.length === 0 || only.includes(n))) {
  const started = Date.now();
  const child = spawnSync(command, args, { cwd: here, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 180_000 });
  const output = `${child.stdout ?? ''}${child.stderr ?? ''}`;
  process.stdout.write(output);
  const summary = output.match(new RegExp(`^${name}: (\\d+) passed, (\\d+) failed`, 'm'));
  const ok = child.status === 0 && summary && Number(summary[1]) > 0 && Number(summary[2]) === 0;
  failed ||= !ok;
  const counts = summary ? `${summary[1]} passed, ${summary[2]} failed` : `0 passed, 1 failed (${child.error ?? `exit ${child.status}`})`;
  lines.push(`runtime ${name}: ${counts}   (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
console.log(`\n${lines.join('\n')}`);
process.exit(failed ? 1 : 0);
