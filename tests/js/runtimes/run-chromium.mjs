// Headless Chromium (system binary, driven by playwright-core): a page whose import map maps
// `instant-edge` to the package's `browser` export, served with the .wasm as application/wasm.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freshApp, report } from './suite.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkgDir = join(here, 'node_modules', 'instant-edge');
const manifest = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'));
const browserEntry = manifest.exports['.'].browser.replace(/^\.\//, '');
const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

const page = (app) => `<!doctype html><meta charset="utf-8">
<script type="importmap">{"imports": {"instant-edge": "/node_modules/instant-edge/${browserEntry}"}}</script>
<script type="module">
  import * as pkg from 'instant-edge';
  import { run } from '/suite.mjs';
  window.__result = await run(pkg, ${JSON.stringify(app)}).catch((e) => ({ passed: 0, failed: 1, results: [{ name: 'load', ok: false, error: String(e) }] }));
</script>`;

const app = await freshApp(process.env.INSTANT_API_URI);
const server = createServer(async (req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page(app));
  // node_modules/instant-edge links to pkg/: serve it as a CDN would serve the package.
  const prefix = '/node_modules/instant-edge/';
  const [root, rest] = path.startsWith(prefix) ? [pkgDir, path.slice(prefix.length)] : [here, path.slice(1)];
  const file = normalize(join(root, rest));
  if (!file.startsWith(root)) return res.writeHead(403).end();
  let body;
  try {
    body = await readFile(file);
  } catch {
    return res.writeHead(404).end();
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

let ok = false;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const tab = await browser.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(String(e)));
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  await tab.waitForFunction(() => window.__result, null, { timeout: 60_000 });
  const outcome = await tab.evaluate(() => window.__result);
  ok = report('chromium', outcome);
  if (errors.length) console.log(errors.join('\n'));
} catch (error) {
  console.log(`chromium: 0 passed, 1 failed\n${error?.stack ?? error}`);
} finally {
  await browser.close();
  server.close();
}
process.exit(ok ? 0 : 1);
