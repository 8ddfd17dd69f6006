// Headless Chromium (the system binary, driven by playwright-core): a page whose import map maps
// `instant-edge` and `instant-edge/platform` to the package's `browser` exports, served with the
// .wasm as application/wasm.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { broken, freshApp, hangingServer, platformToken, report } from './host.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkgDir = join(here, 'node_modules', 'instant-edge');
const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

// The import map points where the package's own `exports` say a browser should load it from.
const page = (entries, app, hangURI, token) => `<!doctype html><meta charset="utf-8">
<script type="importmap">${JSON.stringify({ imports: Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, `/node_modules/instant-edge/${entry}`])) })}</script>
<script type="module">
  try {
    const pkg = await import('instant-edge');
    const platform = { pkg: await import('instant-edge/platform'), token: ${JSON.stringify(token)} };
    const { run } = await import('/suite.mjs');
    const { merge, runHostile } = await import('/hostile.mjs');
    const app = ${JSON.stringify(app)};
    const suite = await run(pkg, app, { hangURI: ${JSON.stringify(hangURI)}, platform });
    // A second realm for the hostile checks: a same-origin iframe's globals.
    const frame = document.createElement('iframe');
    document.documentElement.append(frame);
    const realm = (source) => frame.contentWindow.eval(source);
    window.__result = merge(suite, await runHostile(pkg, app, { realm }));
  } catch (e) {
    window.__result = { passed: 0, failed: 1, results: [{ name: 'load the package', ok: false, error: String(e?.stack ?? e) }] };
  }
</script>`;

// Serves the page, the runtime tests' own files (suite.mjs) and the package behind its
// node_modules link, as a CDN would serve an npm package.
const serve = (html) =>
  createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    const prefix = '/node_modules/instant-edge/';
    const [root, rest] = path.startsWith(prefix) ? [pkgDir, path.slice(prefix.length)] : [here, path.slice(1)];
    const file = normalize(join(root, rest));
    if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });

let ok = false;
let server, browser, hang;
try {
  const manifest = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'));
  const browserEntry = (path) => manifest.exports[path].browser.replace(/^\.\//, '');
  const entries = { 'instant-edge': browserEntry('.'), 'instant-edge/platform': browserEntry('./platform') };
  hang = await hangingServer();
  const app = await freshApp(process.env.INSTANT_API_URI);
  server = serve(page(entries, app, hang.uri, await platformToken(app.apiURI)));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const tab = await browser.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(`page error: ${e}`));
  tab.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  await tab.waitForFunction(() => window.__result, null, { timeout: 200_000 });
  ok = report('chromium', await tab.evaluate(() => window.__result));
  if (!ok && errors.length) console.log(errors.join('\n'));
} catch (error) {
  ok = broken('chromium', error);
} finally {
  await browser?.close();
  server?.close();
  hang?.close();
}
process.exit(ok ? 0 : 1);
