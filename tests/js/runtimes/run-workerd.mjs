// workerd through Miniflare: bundle worker.mjs as wrangler would (conditions workerd, worker,
// browser; the .wasm stays a separate module, imported as a CompiledWasm), run it, and read the
// suite's outcome back as JSON.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { bundleWorker } from './bundle-worker.mjs';
import { broken, freshApp, hangingServer, platformToken, report } from './host.mjs';

let out;
const hang = await hangingServer();
let ok = false;
try {
  let files;
  ({ out, files } = await bundleWorker('./worker.mjs', 'instant-edge-workerd-'));
  // One per entry (admin and platform), each its own module.
  if (files.filter((f) => f.endsWith('.wasm')).length !== 2) throw new Error(`the bundle has not two separate .wasm modules: ${files}`);
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
    bindings: {
      API_URI: app.apiURI,
      APP_ID: app.appId,
      ADMIN_TOKEN: app.adminToken,
      HANG_URI: hang.uri,
      PLATFORM_TOKEN: await platformToken(app.apiURI),
    },
  });
  try {
    const response = await mf.dispatchFetch('http://localhost/');
    const text = await response.text();
    if (response.status !== 200) throw new Error(`the worker answered ${response.status}: ${text}`);
    ok = report('workerd', JSON.parse(text));
  } finally {
    await mf.dispose();
  }
} catch (error) {
  ok = broken('workerd', error);
} finally {
  hang.close();
  if (out) rmSync(out, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
