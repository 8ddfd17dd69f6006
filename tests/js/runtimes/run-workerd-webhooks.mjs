// A webhook receiver in workerd through Miniflare, fed by the emulator's real delivery: bundle
// webhook-worker.mjs as wrangler would (conditions workerd, worker, browser; the .wasm a separate
// CompiledWasm module), serve it on a loopback port, register a webhook to it, transact, flush,
// then read the emulator's delivery log: the Worker answered 200 with its verdict, and the
// official @instantdb/admin (from tests/js/node_modules, which `cargo xtask test runtimes`
// installs) accepts the same logged delivery. Prints the checks and `workerd-webhooks: N passed, M failed` (run-all.mjs reads it).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Miniflare } from 'miniflare';
import { bundleWorker } from './bundle-worker.mjs';
import { broken, freshApp, report } from './host.mjs';

const RUNTIME = 'workerd-webhooks';
const apiURI = process.env.INSTANT_API_URI;

/** A control route of the emulator; answers its JSON, throws on anything but a 200. */
async function control(path, body) {
  const response = await fetch(`${apiURI}/__emulator${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

function equal(actual, expected, what) {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

const sha16 = (text) => createHash('sha256').update(text).digest('hex').slice(0, 16);

let out;
let ok = false;
let mf;
try {
  let files;
  ({ out, files } = await bundleWorker('./webhook-worker.mjs', 'instant-edge-workerd-webhooks-'));
  if (files.filter((f) => f.endsWith('.wasm')).length !== 1) throw new Error(`the bundle has not one separate .wasm module: ${files}`);
  const app = await freshApp(apiURI);
  mf = new Miniflare({
    modules: true,
    scriptPath: join(out, 'webhook-worker.js'),
    modulesRoot: out,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2026-04-20',
    cf: false,
    host: '127.0.0.1',
    port: 0,
    bindings: { API_URI: app.apiURI, APP_ID: app.appId, ADMIN_TOKEN: app.adminToken },
  });
  const hookURL = new URL('/hook', await mf.ready).href;
  // The host side registers and writes through the package's Node entry, by name.
  const { init } = await import('instant-edge');
  const db = init(app);
  let official = null;
  let officialMissing = null;
  try {
    official = (await import('@instantdb/admin')).init(app);
  } catch (error) {
    officialMissing = `@instantdb/admin is not installed in tests/js/node_modules (npm ci there): ${error?.code ?? error}`;
  }

  const results = [];
  const check = async (name, run) => {
    try {
      const skipped = await run();
      results.push(typeof skipped === 'string' ? { name, ok: true, skipped } : { name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: String(error?.stack ?? error) });
    }
  };

  let hook;
  let delivery;
  await check('a delivery to the Worker: it answered 200 with its verdict', async () => {
    hook = await db.webhooks.manager.create({ url: hookURL, namespaces: ['goals'], actions: ['create', 'update', 'delete'] });
    const goal = crypto.randomUUID();
    await db.transact(db.tx.goals[goal].update({ title: 'From workerd' }));
    const flushed = await control('/webhooks/flush?timeout-ms=20000', {});
    equal(flushed.idle, true, 'flush idle');
    const { deliveries } = await control(`/webhooks/deliveries?app-id=${app.appId}`);
    equal(deliveries.length, 1, 'deliveries');
    [delivery] = deliveries;
    equal([delivery.url, delivery.status, delivery.success, delivery.attempt], [hookURL, 200, true, 1], 'url, status, success, attempt');
    const sent = JSON.parse(delivery.body);
    const verdict = JSON.parse(delivery['response-text']);
    equal(verdict, { valid: true, payloadUrl: sent.payloadUrl, token: sha16(sent.token), records: ['goals.create'] }, 'the verdict');
  });

  await check("the manager's event shows the Worker's answer", async () => {
    if (!delivery) throw new Error('no delivery');
    const event = await db.webhooks.manager.getEvent(hook.id, delivery.isn);
    equal(event.status, 'success', 'status');
    equal(event.attempts.map((a) => [a.success, a.statusCode, a.responseText]), [[true, 200, delivery['response-text']]], 'attempts');
  });

  await check('the official @instantdb/admin validate accepts the logged delivery (and so does ours)', async () => {
    if (!delivery) throw new Error('no delivery');
    const header = delivery.headers['Instant-Signature'];
    const expected = JSON.parse(delivery.body);
    equal(await db.webhooks.validate(header, delivery.body), expected, 'instant-edge (Node)');
    if (!official) throw new Error(officialMissing); // cargo xtask test runtimes installs it
    equal(await official.webhooks.validate(header, delivery.body), expected, '@instantdb/admin');
    equal(await official.webhooks.fetchPayloads(expected), await db.webhooks.fetchPayloads(expected), 'fetchPayloads');
  });

  await check('the Worker: a replay of the logged delivery validates, tampered ones get 401 and the refusal', async () => {
    if (!delivery) throw new Error('no delivery');
    const post = async (headers, body) => {
      const response = await mf.dispatchFetch(hookURL, { method: 'POST', headers, body });
      return [response.status, await response.json()];
    };
    equal(await post(delivery.headers, delivery.body), [200, JSON.parse(delivery['response-text'])], 'replay');
    const refused = (message) => [401, { name: 'InstantError', message }];
    const tampered = delivery.body.replace('"token":"eyJ', '"token":"eyj');
    equal(await post(delivery.headers, tampered), refused('Instant Signature did not validate'), 'tampered body');
    const header = delivery.headers['Instant-Signature'];
    const unknownKid = { ...delivery.headers, 'Instant-Signature': header.replace(/kid=\d+/, 'kid=77') };
    equal(await post(unknownKid, delivery.body), refused('Could not find matching signing key'), 'unknown kid');
    // Older than 300 s by the Worker's clock (the emulator's, which sets `t`, may run ahead).
    const old = { ...delivery.headers, 'Instant-Signature': header.replace(/t=\d+/, `t=${Math.floor(Date.now() / 1000) - 301}`) };
    equal(await post(old, delivery.body), refused('Webhook signature is too old'), 'old t');
    const { 'Instant-Signature': _, ...unsigned } = delivery.headers;
    equal(await post(unsigned, delivery.body), refused('Request is missing Instant-Signature header'), 'no signature');
  });

  ok = report(RUNTIME, { passed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, results });
} catch (error) {
  ok = broken(RUNTIME, error);
} finally {
  await mf?.dispose();
  if (out) rmSync(out, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
