// The hostile-input checks: the same in Node, Deno, Bun, workerd and Chromium. Like suite.mjs it
// imports nothing (it is bundled into a Worker and loaded in a browser page); what only a host
// can make (a second realm, node:querystring objects, the wasm memory size) comes in options.
//
// `runHostile(pkg, app, options)`: `pkg` is the imported `instant-edge`, `app` an emulator app
// `{ apiURI, appId, adminToken }`; options:
//   realm        (source) => the value of `source` evaluated in another realm (node:vm, an iframe)
//   noRealm      why there is no second realm: the realm checks are skipped with this reason
//   querystring  (text) => node:querystring.parse(text) (a null-prototype object), where it exists
//   wasmMemory   () => the byte length of the package's wasm memory (Node)
//   engine       'v8' (default) or 'jsc': how to build a value whose JSON is past the maximum
//                string length (V8: 536,870,888 chars; JavaScriptCore: 2^31 - 1)
//   budget       ms for the whole module; checks not started by then fail as not run
// Returns `{ passed, failed, results: [{ name, ok, error?, skipped? }] }` (a skipped check is
// ok, with the reason in `skipped`), and never throws.
//
// What every check asserts beyond its own input: each awaited call settles within a few seconds
// (else it fails with "hung"), no uncaught exception or unhandled rejection reaches the host's
// global handlers while it runs, and after each hostile input both the same client and a freshly
// `init`ed one still answer `db.query({ goals: {} })`.

const CALL_MS = 4000; // one awaited call
const CHECK_MS = 30_000; // one whole check
const MiB = 1024 * 1024;

class Hung extends Error {}
// A failed assertion: printed by its message alone (a bug in a check prints its stack).
class Failure extends Error {}

/** Merges runner outcomes (suite.mjs's `run`, this module's `runHostile`) into one. */
export function merge(...outcomes) {
  const results = outcomes.flatMap((o) => o.results);
  const failed = results.filter((r) => !r.ok).length;
  return { passed: results.length - failed, failed, results };
}

export async function runHostile(pkg, app, options = {}) {
  const results = [];
  const strays = [];
  let current = null;
  let unlisten = () => {};
  try {
    unlisten = listen((what, value) => strays.push({ check: current, text: `${what}: ${show(value)}` }));
    await checks(pkg, app, options, results, strays, (name) => (current = name));
  } catch (error) {
    results.push({ name: 'hostile: the hostile module itself ran to its end', ok: false, error: String(error?.stack ?? error) });
  } finally {
    try {
      unlisten();
    } catch {}
  }
  return merge({ results });
}

// The host's global error events, for the module's duration. Node and Bun: process events (a
// listener also keeps the process alive); Deno, browsers, workerd: `error` and
// `unhandledrejection` on globalThis, with preventDefault so the host does not die or log.
function listen(record) {
  const off = [];
  const proc = globalThis.process;
  if (!globalThis.Deno && typeof proc?.on === 'function' && typeof proc?.off === 'function') {
    const exception = (error) => record('uncaught exception', error);
    const rejection = (reason) => record('unhandled rejection', reason);
    proc.on('uncaughtException', exception);
    proc.on('unhandledRejection', rejection);
    off.push(() => proc.off('uncaughtException', exception), () => proc.off('unhandledRejection', rejection));
  } else if (typeof globalThis.addEventListener === 'function') {
    const handlers = {
      error: (event) => {
        event.preventDefault?.();
        record('uncaught exception', event.error ?? event.message);
      },
      unhandledrejection: (event) => {
        event.preventDefault?.();
        record('unhandled rejection', event.reason);
      },
    };
    for (const [type, handler] of Object.entries(handlers)) {
      try {
        globalThis.addEventListener(type, handler);
        off.push(() => globalThis.removeEventListener(type, handler));
      } catch {} // a host without this event type
    }
  }
  return () => off.forEach((f) => f());
}

function show(value) {
  if (value instanceof Error || (value && typeof value === 'object' && typeof value.message === 'string')) {
    return `${value.name ?? 'Error'}: ${value.message}`;
  }
  try {
    return typeof value === 'string' ? value : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `value` (a promise or not), or a Hung error after `ms`. */
function bounded(value, what, ms = CALL_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Hung(`hung: ${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(value).finally(() => clearTimeout(timer)), timeout]);
}

/** Calls `f`: `{ value }`, `{ rejected }` or `{ threw }` (synchronously); a hang throws Hung. */
async function attempt(f, what, ms = CALL_MS) {
  let pending;
  try {
    pending = f();
  } catch (error) {
    return { threw: error };
  }
  try {
    return { value: await bounded(pending, what, ms) };
  } catch (error) {
    if (error instanceof Hung) throw error;
    return { rejected: error };
  }
}

// Key-sorted JSON, whatever the objects' prototypes: a comparison of stored values.
const sorted = (v) =>
  Array.isArray(v) ? v.map(sorted)
  : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]))
  : v;
const canon = (v) => JSON.stringify(sorted(v));
const nullProto = (entries) => Object.assign(Object.create(null), entries);
const assert = (cond, message) => {
  if (!cond) throw new Failure(message);
};
const eq = (a, b, what) => assert(canon(a) === canon(b), `${what}: ${canon(a)} !== ${canon(b)}`);
const preview = (v) => {
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 200);
  } catch {
    return show(v);
  }
};

async function checks(pkg, app, options, results, strays, setCurrent) {
  const { init, id, InstantAPIError } = pkg;
  const { realm, noRealm, querystring, wasmMemory, engine = 'v8', budget = 90_000 } = options;
  const config = { appId: app.appId, adminToken: app.adminToken, apiURI: app.apiURI };
  const started = Date.now();
  const stamp = Date.now();
  let namespaces = 0;
  const ns = () => `hostile_${stamp}_${(namespaces += 1)}`;

  const check = async (name, body, { skip, ms = CHECK_MS } = {}) => {
    name = `hostile: ${name}`;
    if (skip) return void results.push({ name, ok: true, skipped: skip });
    if (Date.now() - started > budget) {
      return void results.push({ name, ok: false, error: `not run: the hostile checks used up their ${budget} ms budget` });
    }
    setCurrent(name);
    let error;
    try {
      await bounded(Promise.resolve().then(body), 'the whole check', ms);
    } catch (e) {
      error = e instanceof Hung || e instanceof Failure ? e.message : String(e?.stack ?? e);
    }
    await sleep(50); // a late uncaught error of this check's calls lands here
    setCurrent(null);
    const mine = strays.filter((s) => s.check === name).map((s) => s.text);
    if (mine.length) error = `${error ? `${error}\n     and ` : ''}uncaught during the check: ${mine.join('; ')}`;
    results.push(error ? { name, ok: false, error } : { name, ok: true });
  };

  // A client: init itself may throw once the wasm instance is broken.
  const client = (extra = {}) => {
    try {
      return init({ ...config, ...extra });
    } catch (error) {
      throw new Failure(`init(...) threw: ${show(error)}`);
    }
  };
  /** The value of a call that must succeed. */
  const ok = async (f, what, ms) => {
    const r = await attempt(f, what, ms);
    if ('threw' in r) throw new Failure(`${what} threw: ${show(r.threw)}`);
    if ('rejected' in r) throw new Failure(`${what} rejected: ${show(r.rejected)}`);
    return r.value;
  };
  // After a hostile input: the same client and a fresh one still answer a normal query.
  const healthy = async (db, after) => {
    for (const [who, make] of [['the same client', () => db], ['a freshly inited client', () => init(config)]]) {
      const r = await attempt(() => make().query({ goals: {} }), `${who}'s db.query({ goals: {} }) after ${after}`);
      if (!('value' in r)) {
        throw new Failure(`after ${after}, ${who}'s db.query({ goals: {} }) ${'threw' in r ? 'threw' : 'rejected'}: ${show(r.threw ?? r.rejected)}`);
      }
      assert(Array.isArray(r.value?.goals), `after ${after}, ${who}'s query answered ${preview(r.value)}`);
    }
  };
  // A typed invalid-argument error; `cause` (when given) must be the thrown value, and whenever
  // the error has an Error cause its message must carry the cause's message.
  const typedArg = (error, what, { includes = [], cause, pattern } = {}) => {
    assert(error instanceof InstantAPIError, `${what}: not an InstantAPIError: ${show(error)}`);
    assert(error.kind === 'invalid-argument', `${what}: kind ${JSON.stringify(error.kind)}, not invalid-argument (${error.message})`);
    assert(typeof error.message === 'string' && error.message.length > 0, `${what}: no message`);
    for (const text of includes) assert(error.message.includes(text), `${what}: the message does not contain ${JSON.stringify(text)}: ${error.message}`);
    if (pattern) assert(pattern.test(error.message), `${what}: the message does not match ${pattern}: ${error.message}`);
    if (cause !== undefined) assert(error.cause === cause, `${what}: cause is ${show(error.cause)}, not the thrown ${show(cause)}`);
    if (typeof error.cause?.message === 'string') {
      assert(error.message.includes(error.cause.message), `${what}: the message does not carry its cause's (${error.cause.message}): ${error.message}`);
    }
    return error;
  };
  const rejectsArg = async (f, what, expect, ms) => {
    const r = await attempt(f, what, ms);
    if ('threw' in r) throw new Failure(`${what}: threw synchronously instead of returning a rejected promise: ${show(r.threw)}`);
    if ('value' in r) throw new Failure(`${what}: resolved ${preview(r.value)} instead of rejecting`);
    return typedArg(r.rejected, what, expect);
  };
  const throwsArg = (f, what, expect) => {
    let value;
    try {
      value = f();
    } catch (error) {
      return typedArg(error, what, expect);
    }
    try {
      value?.close?.();
    } catch {}
    throw new Failure(`${what}: did not throw (returned ${preview(value)})`);
  };
  const until = async (ready, what, ms = 8000) => {
    const from = Date.now();
    while (!ready()) {
      if (Date.now() - from > ms) throw new Hung(`hung: waited ${ms} ms for ${what}`);
      await sleep(10);
    }
  };
  // console.error, recorded (and not printed) while `body` runs.
  const spyingConsoleError = async (body) => {
    const real = console.error;
    const calls = [];
    console.error = (...args) => void calls.push(args);
    try {
      return await body(calls);
    } finally {
      console.error = real;
    }
  };
  const rows = (result, e) => {
    assert(Array.isArray(result?.[e]), `no ${e} in ${preview(result)}`);
    return result[e];
  };
  const byId = (result, e, entity) => {
    const row = rows(result, e).find((r) => r.id === entity);
    assert(row, `${entity} not found in ${preview(result)}`);
    const { id: _, ...attrs } = row;
    return attrs;
  };
  const ids = (result, e) => rows(result, e).map((r) => r.id).sort();

  // 1 and 2: objects without Object.prototype (null-prototype, another realm's) must be read
  // like plain objects: as transact args, in a where clause, as the whole query.
  const oddObjects = async (label, make, skip) => {
    await check(`${label} as transact args, top level and nested, are stored exactly`, async () => {
      const db = client();
      const e = ns();
      for (const { what, args, expect } of make.args(e)) {
        const entity = id();
        await ok(() => db.transact(db.tx[e][entity].update(args)), `transact with ${what}`);
        await healthy(db, `transact with ${what}`);
        eq(byId(await ok(() => db.query({ [e]: {} }), 'the query back'), e, entity), expect, `${what}, read back`);
      }
    }, { skip });
    await check(`${label} as a query where clause matches like the plain object`, async () => {
      const db = client();
      const e = ns();
      const [x, y] = [id(), id()];
      await ok(() => db.transact([db.tx[e][x].update({ title: 'x' }), db.tx[e][y].update({ title: 'y' })]), 'transact of two entities');
      const plain = await ok(() => db.query({ [e]: { $: { where: { title: 'x' } } } }), 'the plain where');
      eq(ids(plain, e), [x], 'the plain where (the emulator itself)');
      for (const { what, where } of make.where(e)) {
        const result = await ok(() => db.query({ [e]: { $: { where } } }), `a query whose where is ${what}`);
        await healthy(db, `a query whose where is ${what}`);
        eq(ids(result, e), [x], `${what}: only the matching entity`);
        eq(result, plain, `${what}: the plain where's result`);
      }
    }, { skip });
    await check(`${label} as the whole query works like the plain object`, async () => {
      const db = client();
      const e = ns();
      const [x, y] = [id(), id()];
      await ok(() => db.transact([db.tx[e][x].update({ title: 'x' }), db.tx[e][y].update({ title: 'y' })]), 'transact of two entities');
      for (const { what, query, plain } of make.query(e)) {
        const expected = await ok(() => db.query(plain), `the plain ${what}`);
        const result = await ok(() => db.query(query), `a query that is ${what}`);
        await healthy(db, `a query that is ${what}`);
        eq(result, expected, `${what}: the plain query's result`);
      }
    }, { skip });
  };

  await oddObjects('null-prototype objects', {
    args: () => [
      { what: 'null-prototype args', args: nullProto({ title: 't', n: 1, nested: nullProto({ a: [1, 2], deeper: nullProto({ ok: true }) }) }),
        expect: { title: 't', n: 1, nested: { a: [1, 2], deeper: { ok: true } } } },
      { what: 'a null-prototype value in plain args', args: { title: 'u', nested: nullProto({ a: [1, 2] }), list: [nullProto({ b: 'c' })] },
        expect: { title: 'u', nested: { a: [1, 2] }, list: [{ b: 'c' }] } },
      ...(querystring ? [
        { what: "querystring.parse('a=1&b=2') as args", args: querystring('a=1&b=2'), expect: { a: '1', b: '2' } },
        { what: "querystring.parse('a=1&b=2') as a nested value", args: { q: querystring('a=1&b=2') }, expect: { q: { a: '1', b: '2' } } },
      ] : []),
    ],
    where: () => [
      { what: "a null-prototype { title: 'x' }", where: nullProto({ title: 'x' }) },
      ...(querystring ? [{ what: "querystring.parse('title=x')", where: querystring('title=x') }] : []),
    ],
    query: (e) => [
      { what: 'a null-prototype { [ns]: {} }', query: nullProto({ [e]: nullProto({}) }), plain: { [e]: {} } },
      { what: 'null-prototype objects all the way down', query: nullProto({ [e]: nullProto({ $: nullProto({ where: nullProto({ title: 'y' }) }) }) }),
        plain: { [e]: { $: { where: { title: 'y' } } } } },
    ],
  });

  const foreign = (source) => {
    const value = realm(source);
    assert(value && typeof value === 'object' && !(value instanceof Object), `the host's realm helper gave an object of this realm for ${source}`);
    return value;
  };
  await oddObjects('objects from another realm', {
    args: () => [
      { what: 'args from another realm', args: foreign('({ title: "t", nested: { a: [1, 2] } })'), expect: { title: 't', nested: { a: [1, 2] } } },
      { what: 'a value from another realm in plain args', args: { title: 'u', nested: foreign('({ a: [1, 2] })') }, expect: { title: 'u', nested: { a: [1, 2] } } },
      { what: "another realm's array as a value", args: { list: foreign('[1, { b: "c" }]') }, expect: { list: [1, { b: 'c' }] } },
    ],
    where: () => [{ what: "another realm's { title: 'x' }", where: foreign('({ title: "x" })') }],
    query: (e) => [
      { what: "another realm's { [ns]: {} }", query: foreign(`({ ${JSON.stringify(e)}: {} })`), plain: { [e]: {} } },
      { what: "another realm's query with a where", query: foreign(`({ ${JSON.stringify(e)}: { $: { where: { title: "y" } } } })`),
        plain: { [e]: { $: { where: { title: 'y' } } } } },
    ],
  }, realm ? undefined : `no second realm here: ${noRealm ?? 'the runner gave none'}`);

  // 3: a getter that throws is the caller's error, reported with its cause, never sent.
  await check('a throwing getter in transact args rejects typed, with the getter\'s error as cause', async () => {
    const db = client();
    const boom = new Error('boom-getter');
    const args = { get title() {
      throw boom;
    } };
    await rejectsArg(() => db.transact(db.tx[ns()][id()].update(args)), 'transact with a throwing getter', { includes: ['boom-getter'], cause: boom });
    await healthy(db, 'transact with a throwing getter');
  });
  await check('a throwing getter in a query where rejects typed, with the getter\'s error as cause', async () => {
    const db = client();
    const boom = new Error('boom-getter');
    const where = { get title() {
      throw boom;
    } };
    await rejectsArg(() => db.query({ [ns()]: { $: { where } } }), 'a query with a throwing getter', { includes: ['boom-getter'], cause: boom });
    await healthy(db, 'a query with a throwing getter');
  });

  // 4: values that throw when looked at, each where a query, args or a step list goes, twice in
  // a row (a broken instance used to fail only from the second call on).
  const poisons = {
    'a Proxy whose ownKeys trap throws': () => {
      const boom = new Error('boom-ownkeys');
      return { value: new Proxy({}, { ownKeys() {
        throw boom;
      } }), boom };
    },
    'a revoked Proxy': () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return { value: proxy }; // the engine's TypeError is the cause
    },
    'an array whose index getter throws': () => {
      const boom = new Error('boom-index');
      const value = [];
      Object.defineProperty(value, 0, { get() {
        throw boom;
      }, enumerable: true });
      return { value, boom };
    },
  };
  for (const [label, make] of Object.entries(poisons)) {
    await check(`${label}: as a query, transact args, a nested args value and a step list, twice each`, async () => {
      const db = client();
      // Where the value must be looked into, its error must be the cause; an array may be
      // refused as a query or as args without reading its elements.
      const isArray = label.startsWith('an array');
      const places = [
        ['the whole query', (v) => db.query(v), !isArray],
        ['transact args', (v) => db.transact(db.tx[ns()][id()].update(v)), !isArray],
        ['a nested transact args value', (v) => db.transact(db.tx[ns()][id()].update({ v })), true],
        ['the transact step list', (v) => db.transact(v), isArray],
      ];
      for (const [place, call, looksInside] of places) {
        for (const round of [1, 2]) {
          const { value, boom } = make();
          const what = `${label} as ${place} (${round === 1 ? 'first' : 'second'} time)`;
          await rejectsArg(() => call(value), what, looksInside && boom ? { includes: [boom.message], cause: boom } : {});
        }
        await healthy(db, `${label} as ${place}, twice`);
      }
    });
  }

  // 5: callbacks: a non-function is refused up front; one that throws is reported with
  // console.error as @instantdb/admin does, and never stops a subscription or an upload.
  await check('subscribeQuery with a callback that is not a function throws typed, synchronously', async () => {
    const db = client();
    for (const callback of ['not a function', 42]) {
      throwsArg(() => db.subscribeQuery({ goals: {} }, callback), `subscribeQuery(query, ${preview(callback)})`);
      await healthy(db, `subscribeQuery(query, ${preview(callback)})`);
    }
  });
  await check('a subscribeQuery callback that always throws keeps receiving; console.error reports each throw', async () => {
    const db = client();
    const e = ns();
    const seen = [];
    const thrown = [];
    await spyingConsoleError(async (calls) => {
      let sub;
      try {
        sub = db.subscribeQuery({ [e]: {} }, (payload) => {
          seen.push(payload);
          const error = new Error(`boom-callback ${seen.length}`);
          thrown.push(error);
          throw error;
        });
        const count = () => seen.filter((p) => p.type === 'ok').at(-1)?.data?.[e]?.length;
        await until(() => count() === 0 || seen.some((p) => p.type === 'error'), 'the first payload');
        assert(count() === 0, `the first payload: ${preview(seen.at(-1))}`);
        await ok(() => db.transact(db.tx[e][id()].update({ n: 1 })), 'the first transact');
        await until(() => count() === 1, 'the payload with the first entity');
        await ok(() => db.transact(db.tx[e][id()].update({ n: 2 })), 'the second transact');
        await until(() => count() === 2, 'the payload with both entities');
        assert(!sub.isClosed, 'the subscription is still open');
        const reported = (error) => calls.some((args) => args[0] === 'Error in subscribeQuery callback' && args[1] === error);
        await until(() => thrown.every(reported), 'console.error for every throw', 2000).catch(() => {
          throw new Failure(`console.error was not called with ('Error in subscribeQuery callback', the error) for each of ${thrown.length} throws; it got ${preview(calls.map((a) => a.map(show)))}`);
        });
        await healthy(db, 'a throwing subscribeQuery callback');
      } finally {
        try {
          sub?.close();
        } catch {}
      }
    });
  });
  await check('uploadFile with an onProgress that is not a function rejects typed', async () => {
    const db = client();
    await rejectsArg(() => db.storage.uploadFile(`${ns()}/x.txt`, 'text', { onProgress: 'x' }), "uploadFile(path, 'text', { onProgress: 'x' })", { includes: ['onProgress'] });
    await healthy(db, "uploadFile with onProgress: 'x'");
  });
  await check('an onProgress that throws: the upload succeeds and console.error reports it', async () => {
    const db = client();
    const path = `${ns()}/progress.bin`;
    const bytes = new Uint8Array(20_000).map((_, i) => i % 251);
    const thrown = [];
    await spyingConsoleError(async (calls) => {
      const onProgress = () => {
        const error = new Error('boom-progress');
        thrown.push(error);
        throw error;
      };
      const answer = await ok(() => db.storage.uploadFile(path, bytes, { onProgress }), 'an upload whose onProgress throws', 8000);
      assert(typeof answer?.data?.id === 'string', `the upload's answer: ${preview(answer)}`);
      assert(thrown.length > 0, 'onProgress was never called');
      const reported = calls.some((args) => args[0] === 'Error in onProgress callback' && thrown.includes(args[1]));
      assert(reported, `console.error was not called with ('Error in onProgress callback', the error); it got ${preview(calls.map((a) => a.map(show)))}`);
    });
    await healthy(db, 'an upload whose onProgress throws');
    const url = await ok(() => db.storage.getDownloadUrl(path), 'getDownloadUrl');
    const back = new Uint8Array(await ok(() => fetch(url).then((r) => r.arrayBuffer()), 'the download'));
    assert(back.length === bytes.length && back.every((b, i) => b === bytes[i]), 'the same bytes back');
  });

  // 6: too big. (b) first, before (a) can have grown the wasm memory: in Node, the wasm memory
  // must not hold a copy of a big value. (a) JSON past the engine's maximum string length (V8:
  // the same 150M-char string four times, 600M > 536.9M chars, ~0.8 GB peak in JSON.stringify;
  // JavaScriptCore's maximum is 2^31 - 1, so one 360M-char string of \x01, which JSON escapes to
  // 6 chars each: 2.16G chars, and JSC gives up at once, ~0.7 GB peak).
  if (wasmMemory) {
    await check('a 100 MB string value leaves the wasm memory within 1 MiB', async () => {
      const db = client();
      const before = await wasmMemory();
      const r = await attempt(() => db.transact(db.tx[ns()][id()].update({ big: 'y'.repeat(100_000_000) })), 'transact with a 100 MB string', 30_000);
      if ('threw' in r) throw new Failure(`transact with a 100 MB string threw synchronously: ${show(r.threw)}`);
      if ('rejected' in r) assert(r.rejected instanceof InstantAPIError, `not an InstantAPIError: ${show(r.rejected)}`);
      const after = await wasmMemory();
      console.log(`     hostile: a 100 MB value ${'value' in r ? 'was stored' : `was refused (${r.rejected.kind} ${r.rejected.status})`}; wasm memory ${before} → ${after} bytes`);
      assert(after - before <= MiB, `the wasm memory grew by ${after - before} bytes`);
      await healthy(db, 'transact with a 100 MB string');
    }, { ms: 45_000 });
  }

  await check('JSON past the maximum string length, as transact args and in a where, rejects typed quickly', async () => {
    const db = client();
    const huge = () => {
      if (engine === 'jsc') return ['\x01'.repeat(360_000_000)];
      const s = 'x'.repeat(150_000_000);
      return [s, s, s, s];
    };
    await rejectsArg(() => db.transact(db.tx[ns()][id()].update({ big: huge() })), 'transact with oversized args', {}, 10_000);
    await healthy(db, 'transact with oversized args');
    await rejectsArg(() => db.query({ [ns()]: { $: { where: { title: { $in: huge() } } } } }), 'a query with an oversized where', {}, 10_000);
    await healthy(db, 'a query with an oversized where');
  }, { ms: 45_000 });

  // 7: smaller ones.
  await check('init with a non-Latin-1 adminToken is invalid-argument (from init or the first call), never network', async () => {
    let db;
    try {
      db = init({ ...config, adminToken: 'tökén€' });
    } catch (error) {
      typedArg(error, 'init with adminToken tökén€', { includes: ['adminToken'] });
    }
    if (db) await rejectsArg(() => db.query({ goals: {} }), 'the first call with adminToken tökén€', { includes: ['adminToken'] });
    await healthy(client(), 'an adminToken of tökén€');
  });
  await check("asUser({ guest: 'yes' }) throws typed", async () => {
    const db = client();
    throwsArg(() => db.asUser({ guest: 'yes' }), "asUser({ guest: 'yes' })", { includes: ['guest'] });
    await healthy(db, "asUser({ guest: 'yes' })");
  });
  await check("auth.listUsers('x') rejects typed", async () => {
    const db = client();
    await rejectsArg(() => db.auth.listUsers('x'), "auth.listUsers('x')");
    await healthy(db, "auth.listUsers('x')");
  });
  await check('auth.getUserFromRequest with a throwing headers.get returns a promise that rejects typed', async () => {
    const db = client();
    const boom = new Error('boom-headers');
    const request = { headers: { get() {
      throw boom;
    } } };
    await rejectsArg(() => db.auth.getUserFromRequest(request), 'getUserFromRequest with a throwing headers.get', { includes: ['boom-headers'], cause: boom });
    await healthy(db, 'getUserFromRequest with a throwing headers.get');
  });
  // Values are the caller's data: the client sends them whatever their depth (it refused past
  // ~126 levels before; the emulator reads bodies 512 levels deep).
  await check('transact args nested 200 levels deep are stored and read back equal', async () => {
    const db = client();
    const e = ns();
    const entity = id();
    let args = { leaf: 'end' };
    for (let depth = 1; depth < 200; depth += 1) args = { a: args };
    await ok(() => db.transact(db.tx[e][entity].update(args)), 'transact with args 200 levels deep');
    await healthy(db, 'transact with args 200 levels deep');
    eq(byId(await ok(() => db.query({ [e]: {} }), 'the query back'), e, entity), args, 'read back');
  });
  await check('arguments over 1 MiB of JSON (bodies the host holds whole) are sent whole: stored, read back, queried with ruleParams', async () => {
    const db = client();
    const e = ns();
    const entity = id();
    // Past the 1 MiB threshold, with a long string (elided in the wasm's copy) and short ones.
    const args = { long: 'é'.repeat(1_100_000), short: 'kept', n: 1.5, list: [1, 'two', null] };
    const before = options.wasmMemory ? await options.wasmMemory() : 0;
    await ok(() => db.transact(db.tx[e][entity].update(args)), 'transact with 2.2 MB of args');
    eq(byId(await ok(() => db.query({ [e]: {} }), 'the query back'), e, entity), args, 'read back');
    // A large query with rule params: the params go first, the held query's entries after them.
    const where = { $: { where: { long: { $in: ['é'.repeat(1_100_000), args.long] } } } };
    const found = await ok(() => db.query({ [e]: where }, { ruleParams: { k: 1 } }), 'a 2.2 MB query with ruleParams');
    eq(byId(found, e, entity), args, 'found by the long value');
    if (options.wasmMemory) {
      const after = await options.wasmMemory();
      assert(after - before <= MiB, `the wasm memory grew by ${after - before} bytes for 2.2 MB arguments`);
    }
    await healthy(db, 'arguments over 1 MiB');
  }, { ms: 45_000 });
  await check('a query nested 200 levels deep is invalid-argument saying it is nested too deeply', async () => {
    const db = client();
    let query = {};
    for (let depth = 0; depth < 200; depth += 1) query = { a: query };
    await rejectsArg(() => db.query(query), 'a query 200 levels deep', { pattern: /too deep|depth/i });
    await healthy(db, 'a query 200 levels deep');
  });

  // Anything uncaught between checks (or after the last) still fails the run.
  await sleep(100);
  const loose = strays.filter((s) => s.check === null).map((s) => s.text);
  results.push(loose.length
    ? { name: 'hostile: nothing uncaught between checks', ok: false, error: loose.join('; ') }
    : { name: 'hostile: nothing uncaught between checks', ok: true });
}
