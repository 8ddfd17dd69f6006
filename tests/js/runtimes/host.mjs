// Host-side helpers of the runners (Node, Deno and Bun run this file; browsers and the Worker
// never load it): a fresh emulator app, a server that never answers, the summary line.
import { createServer } from 'node:net';
import querystring from 'node:querystring';
import vm from 'node:vm';
import { merge, runHostile } from './hostile.mjs';
import { run } from './suite.mjs';

// `goals.slug` is unique, so it can name a goal in a lookup; everything else is schema-less.
const schema = { entities: { goals: { attrs: { slug: { valueType: 'string', required: false, config: { indexed: true, unique: true } } } } } };

/** A fresh app on the emulator (its test-only control route), so runs never share data. */
export async function freshApp(apiURI) {
  if (!apiURI) throw new Error('INSTANT_API_URI is not set: start the emulator and export its --env-file');
  const response = await fetch(`${apiURI}/__emulator/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ schema }),
  });
  if (response.status !== 200) throw new Error(`POST ${apiURI}/__emulator/apps answered ${response.status}`);
  const app = await response.json();
  return { apiURI, appId: app['app-id'], adminToken: app['admin-token'] };
}

/** A fresh Instant user's personal access token, for `instant-edge/platform`. */
export async function platformToken(apiURI) {
  const response = await fetch(`${apiURI}/__emulator/platform/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `runtime-${crypto.randomUUID()}@example.com` }),
  });
  if (response.status !== 200) throw new Error(`POST ${apiURI}/__emulator/platform/users answered ${response.status}`);
  return (await response.json())['personal-access-token'];
}

/** A TCP server that accepts connections and never answers: what timeouts are tested against. */
export async function hangingServer() {
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    uri: `http://127.0.0.1:${server.address().port}`,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/**
 * Prints each check and the runner's final `<runtime>: N passed, M failed` line. A skipped check
 * (`skipped: reason`, hostile.mjs) is printed as `skip` with its reason and counted as passed.
 */
export function report(runtime, outcome) {
  for (const r of outcome.results) {
    const mark = r.skipped ? 'skip' : r.ok ? 'ok  ' : 'FAIL';
    console.log(`${mark} ${runtime}: ${r.name}${r.skipped ? ` (${r.skipped})` : ''}${r.ok ? '' : `\n     ${r.error}`}`);
  }
  const skipped = outcome.results.filter((r) => r.skipped).length;
  if (skipped) console.log(`${runtime}: ${skipped} skipped (counted as passed)`);
  console.log(`${runtime}: ${outcome.passed} passed, ${outcome.failed} failed`);
  return outcome.failed === 0 && outcome.passed > 0;
}

/** Reports a runner that could not run the suite at all. */
export function broken(runtime, error) {
  console.log(`${runtime}: could not run the suite\n${error?.stack ?? error}`);
  console.log(`${runtime}: 0 passed, 1 failed`);
  return false;
}

/**
 * The whole of the Node, Deno and Bun runners: a fresh app, named in this process's environment
 * (so `init()` with no config must find it), then the suite and the hostile-input checks on
 * `import('instant-edge')` (a second realm from node:vm; `hostile` adds options, see hostile.mjs),
 * and `import('instant-edge/platform')` against a fresh Instant user.
 */
export async function main(runtime, { env, checks, hostile = {} }) {
  let hang;
  try {
    hang = await hangingServer();
    const app = await freshApp(env.get('INSTANT_API_URI'));
    env.set('INSTANT_APP_ID', app.appId);
    env.set('INSTANT_APP_ADMIN_TOKEN', app.adminToken);
    const pkg = await import('instant-edge');
    const platform = { pkg: await import('instant-edge/platform'), token: await platformToken(app.apiURI) };
    const suite = await run(pkg, app, { hangURI: hang.uri, env: true, checks, platform });
    const hostileOptions = {
      realm: (source) => vm.runInNewContext(source),
      querystring: (text) => querystring.parse(text),
      engine: runtime === 'bun' ? 'jsc' : 'v8',
      ...hostile,
    };
    return report(runtime, merge(suite, await runHostile(pkg, app, hostileOptions)));
  } catch (error) {
    return broken(runtime, error);
  } finally {
    hang?.close();
  }
}
