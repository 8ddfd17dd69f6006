// db.webhooks end to end against the emulator's real delivery (README "Webhooks",
// docs/webhooks.md), ours and the official @instantdb/admin 1.0.67's side by side: the manager
// (same results, same requests on the wire), a delivery to a local node:http receiver validated,
// fetched and dispatched by both, the refusals both give, and retries kept on the event.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { init as officialInit } from '@instantdb/admin';
import { init as edgeInit } from '../../pkg/node.js';
import { apiURI, control, freshApp, goalsSchema, recordRequests } from './helpers.mjs';

/** Both clients on one app. */
async function clients(schema = goalsSchema) {
  const { appId, adminToken } = await freshApp(schema);
  return {
    appId,
    adminToken,
    edge: edgeInit({ appId, adminToken, apiURI }),
    official: officialInit({ appId, adminToken, apiURI }),
  };
}

const receivers = [];
after(() => receivers.forEach((r) => r.close()));

/**
 * A webhook sink on 127.0.0.1:0 keeping each request's headers and raw body; `answer(n)` gives
 * the status of the n-th request (1-based), 200 by default.
 */
async function receiver(answer = () => 200) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = answer(requests.length);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : `no (${status})`);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const r = { url: `http://127.0.0.1:${server.address().port}/hook`, requests, close: () => server.close() };
  receivers.push(r);
  return r;
}

/** Waits until the emulator has no delivery in flight (retries included). */
async function flush() {
  const out = await control('/webhooks/flush?timeout-ms=20000', {});
  assert.equal(out.idle, true, `deliveries still in flight: ${JSON.stringify(out)}`);
}

const deliveries = async (appId) => (await control(`/webhooks/deliveries?app-id=${appId}`)).deliveries;

// Normalising what differs between two runs (each client made its own webhook and events):
// ids, ISNs, cursors, dates, durations become placeholders; everything else is compared.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISN = /^[0-9A-F]+\/[0-9A-F]+\/[0-9A-F]+$/;
function plain(value, key) {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '<invalid date>' : '<date>';
  if (key === 'durationMs') return typeof value;
  if ((key === 'startCursor' || key === 'endCursor') && typeof value === 'string') return '<cursor>';
  if (key === 'token' && typeof value === 'string') return '<jwt>';
  if (typeof value === 'string' && UUID.test(value)) return '<uuid>';
  if (typeof value === 'string' && ISN.test(value)) return '<isn>';
  if (Array.isArray(value)) return value.map((v) => plain(v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, k)]));
  return value;
}

/** Own enumerable properties only, so both clients' objects compare by what they hold. */
const own = (value) => JSON.parse(JSON.stringify(value));

/** What a call threw, as `{name, message, isError}`, or its value as `{ok}`. */
async function outcome(call) {
  try {
    return { ok: await call() };
  } catch (error) {
    return { name: error?.name, message: error?.message, isError: error instanceof Error };
  }
}

test('manager: create … delete give the official results and send the official requests', async () => {
  const app = await clients();
  const sink = await receiver();

  /** The whole manager walk with one client; each step's result and requests. */
  async function walk(db) {
    const m = db.webhooks.manager;
    const steps = [];
    const names = {};
    const step = async (name, call) => {
      let result;
      const wire = await recordRequests(async () => {
        result = await call();
      });
      // fetch's default method is GET: the official manager leaves it out, ours names it.
      for (const request of wire) request.method ??= 'GET';
      steps.push({ name, result, wire });
      return result;
    };
    const hook = await step('create', () => m.create({ url: sink.url, namespaces: ['goals'], actions: ['create', 'update'] }));
    names[hook.id] = '{webhook}';
    await step('list', () => m.list());
    await step('update', () => m.update(hook.id, { actions: ['create', 'update', 'delete'], url: undefined }));
    await step('update namespaces', () => m.update(hook.id, { namespaces: ['goals', 'todos'] }));
    await step('disable with a reason', () => m.disable(hook.id, { reason: 'maintenance' }));
    await step('disable without one', () => m.disable(hook.id));
    await step('enable', () => m.enable(hook.id));
    await db.transact(db.tx.goals[crypto.randomUUID()].update({ title: 'Ship it', priority: 1 }));
    await flush();
    const page = await step('listEvents', () => m.listEvents(hook.id));
    assert.equal(page.events.length, 1);
    const { isn } = page.events[0];
    names[isn] = '{isn}';
    names[page.pageInfo.endCursor] = '{cursor}';
    await step('listEvents after', () => m.listEvents(hook.id, { after: page.pageInfo.endCursor }));
    await step('getEvent', () => m.getEvent(hook.id, isn));
    await step('getPayload', () => m.getPayload(hook.id, isn));
    await step('resendEvent', () => m.resendEvent(hook.id, isn));
    await flush();
    await step('getEvent after the resend', () => m.getEvent(hook.id, isn));
    await step('delete', () => m.delete(hook.id));
    await step('list after delete', () => m.list());
    // Requests: the ids this run made become names.
    for (const s of steps) {
      for (const request of s.wire) {
        for (const [value, name] of Object.entries(names)) request.url = request.url.split(value).join(name);
      }
    }
    return steps;
  }

  // One after the other on the same app (ours deletes its webhook before the official one is made).
  const ours = await walk(app.edge);
  const theirs = await walk(app.official);
  assert.deepEqual(ours.map((s) => s.name), theirs.map((s) => s.name));
  for (const [i, mine] of ours.entries()) {
    const official = theirs[i];
    assert.deepStrictEqual(plain(mine.result), plain(official.result), `${mine.name}: result`);
    assert.deepStrictEqual(mine.wire, official.wire, `${mine.name}: requests`);
    assert.equal(mine.wire.length, 1, `${mine.name}: one request`);
  }
  // Dates are Dates in both (the comparison above made them placeholders).
  for (const [i, mine] of ours.entries()) {
    const r = mine.result;
    const o = theirs[i].result;
    if (r?.createdAt !== undefined) {
      assert.ok(r.createdAt instanceof Date && o.createdAt instanceof Date, `${mine.name}: createdAt`);
      assert.ok(r.updatedAt instanceof Date && o.updatedAt instanceof Date, `${mine.name}: updatedAt`);
    }
  }

  // What the walk saw, spelt out once (ours; the official run is equal).
  const result = (name) => ours.find((s) => s.name === name).result;
  const wire = (name) => ours.find((s) => s.name === name).wire[0];
  assert.deepEqual(result('create').sink, { url: sink.url });
  assert.deepEqual(result('create').actions, ['create', 'update']);
  assert.equal(result('create').status, 'active');
  assert.deepEqual(result('list').map((w) => w.id), [result('create').id]);
  assert.deepEqual(result('update').actions, ['create', 'update', 'delete']);
  assert.deepEqual([...result('update namespaces').namespaces].sort(), ['goals', 'todos']);
  assert.equal(result('disable with a reason').status, 'disabled');
  assert.equal(result('disable with a reason').disabledReason, 'maintenance');
  assert.equal(wire('disable with a reason').body, '{"reason":"maintenance"}');
  assert.equal(result('disable without one').disabledReason, null);
  assert.equal(wire('disable without one').body, '{}');
  assert.equal(result('enable').status, 'active');
  assert.equal(result('enable').disabledReason, null);
  const page = result('listEvents');
  assert.equal(page.events[0].status, 'success');
  assert.equal(page.pageInfo.hasNextPage, false);
  assert.deepEqual(result('listEvents after').events, []);
  assert.match(wire('listEvents after').url, /\/events\?after=\{cursor\}$/);
  assert.equal(wire('getEvent').url, `${apiURI}/dash/apps/${app.appId}/webhooks/{webhook}/events/{isn}`);
  const attempts = result('getEvent').attempts;
  assert.equal(attempts.length, 1);
  assert.equal(attempts[0].success, true);
  assert.equal(attempts[0].statusCode, 200);
  assert.equal(attempts[0].responseText, 'ok');
  assert.ok(attempts[0].attemptAt instanceof Date);
  const payload = result('getPayload');
  assert.equal(payload.data.length, 1);
  assert.equal(payload.data[0].action, 'create');
  assert.equal(payload.data[0].after.title, 'Ship it');
  assert.equal(payload.data[0].after.priority, 1);
  assert.equal(wire('getPayload').url, `${apiURI}/webhooks/payload/${app.appId}/{webhook}/{isn}`);
  assert.equal(result('resendEvent').status, 'pending');
  assert.equal(result('getEvent after the resend').status, 'success');
  assert.equal(result('getEvent after the resend').attempts.length, 2);
  assert.equal(result('delete').id, result('create').id);
  assert.deepEqual(result('list after delete'), []);
  // Both runs' two deliveries each (the event, then its resend) reached the sink.
  assert.equal(sink.requests.length, 4);
});

test('manager: the same errors as the official client (unknown webhook, unknown event, bad params)', async () => {
  const app = await clients();
  const nowhere = '0d3c5d2e-5b0e-4b7b-9d47-5a1f0a3b2c10';
  const cases = {
    'update an unknown webhook': (m) => m.update(nowhere, { actions: ['create'] }),
    'getEvent of an unknown webhook': (m) => m.getEvent(nowhere, '0/1/1'),
    'resend an unknown event': (m) => m.resendEvent(nowhere, '0/1/1'),
    'create without actions': (m) => m.create({ url: 'http://127.0.0.1:9/hook', namespaces: ['goals'], actions: [] }),
    'create on an unknown namespace': (m) => m.create({ url: 'http://127.0.0.1:9/hook', namespaces: ['nope'], actions: ['create'] }),
    'create with a bad action': (m) => m.create({ url: 'http://127.0.0.1:9/hook', namespaces: ['goals'], actions: ['upsert'] }),
  };
  const seen = [];
  for (const [name, call] of Object.entries(cases)) {
    const errors = [];
    for (const db of [app.edge, app.official]) {
      const wire = await recordRequests(async () => {
        try {
          await call(db.webhooks.manager);
          errors.push(null);
        } catch (error) {
          const { 'trace-id': traceId, ...body } = error.body ?? {};
          assert.match(String(traceId), /^[0-9a-f]{32}$/, name);
          errors.push({ name: error.name, status: error.status, body, message: error.message });
        }
      });
      for (const request of wire) request.method ??= 'GET';
      errors.push(wire);
    }
    assert.deepStrictEqual(errors[0], errors[2], `${name}: error`);
    assert.deepStrictEqual(errors[1], errors[3], `${name}: requests`);
    assert.equal(errors[0]?.name, 'InstantAPIError', name);
    seen.push(errors[0].body.message);
  }
  const said = seen.join(' | ');
  assert.ok(seen.includes('Record not found: webhook'), said);
  assert.ok(said.includes('Could not resend event. Try again in one minute.'), said);
  assert.ok(said.includes('Webhook must have at least one action.'), said);
  assert.ok(said.includes('Could not find matching table for nope'), said);
});

test('a real delivery: both validate it, fetch the same records and dispatch them alike', async () => {
  const app = await clients();
  const { edge, official } = app;
  const sink = await receiver();
  // Two goals before the webhook exists, so the one transaction afterwards can create, update
  // and delete.
  const [kept, gone, made] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  await edge.transact([edge.tx.goals[kept].update({ title: 'Kept', priority: 1 }), edge.tx.goals[gone].update({ title: 'Gone' })]);
  // Records carry the entity's data attributes as a query reads them (the schema's indexed
  // attributes included, null when unset).
  const goals = async () => Object.fromEntries((await edge.query({ goals: {} })).goals.map((g) => [g.id, g]));
  const earlier = await goals();
  const hook = await edge.webhooks.manager.create({ url: sink.url, namespaces: ['goals'], actions: ['create', 'update', 'delete'] });
  await edge.transact([
    edge.tx.goals[made].update({ title: 'Made' }),
    edge.tx.goals[kept].update({ priority: 2 }),
    edge.tx.goals[gone].delete(),
  ]);
  await flush();
  const later = await goals();

  assert.equal(sink.requests.length, 1);
  const [delivery] = sink.requests;
  assert.equal(delivery.method, 'POST');
  assert.equal(delivery.url, '/hook');
  assert.match(delivery.headers['content-type'], /^application\/json/);
  assert.equal(delivery.headers['user-agent'], 'InstantDB Webhook Sender');
  const header = delivery.headers['instant-signature'];
  assert.match(header, /^t=\d+,kid=424242,v1=[0-9a-f]{128}$/);
  // The emulator's log holds the same request.
  const [logged] = await deliveries(app.appId);
  assert.equal(logged.body, delivery.body);
  assert.equal(logged.headers['Instant-Signature'], header);
  assert.equal(logged.status, 200);
  assert.equal(logged.success, true);

  // validate (string and function bodies) and validateRequest: the same {payloadUrl, token}.
  const body = delivery.body;
  const expected = JSON.parse(body);
  assert.equal(expected.payloadUrl.startsWith(`${apiURI}/webhooks/payload/${app.appId}/${hook.id}/`), true, expected.payloadUrl);
  const request = () => new Request('http://127.0.0.1/hook', { method: 'POST', headers: delivery.headers, body });
  for (const [label, call] of [
    ['validate', (h) => h.validate(header, body)],
    ['validate with a body function', (h) => h.validate(header, async () => body)],
    ['validateRequest', (h) => h.validateRequest(request())],
  ]) {
    const [ours, theirs] = [await outcome(() => call(edge.webhooks)), await outcome(() => call(official.webhooks))];
    assert.deepStrictEqual(ours, theirs, label);
    assert.deepStrictEqual(ours.ok, expected, label);
  }

  // fetchPayloads: the same records, with before/after as the transaction left them.
  const verdict = await edge.webhooks.validate(header, body);
  const [ours, theirs] = [await edge.webhooks.fetchPayloads(verdict), await official.webhooks.fetchPayloads(verdict)];
  assert.deepStrictEqual(own(ours), own(theirs));
  assert.equal(ours.idempotencyKey, delivery.headers['idempotency-key']);
  const byId = Object.fromEntries(ours.data.map((r) => [r.id, r]));
  assert.deepEqual(Object.keys(byId).sort(), [kept, gone, made].sort());
  assert.deepEqual(
    { ...byId[made], idempotencyKey: '' },
    { namespace: 'goals', action: 'create', id: made, before: null, after: later[made], idempotencyKey: '' },
  );
  assert.equal(later[made].title, 'Made');
  assert.deepEqual(byId[kept].before, earlier[kept]);
  assert.deepEqual(byId[kept].after, later[kept]);
  assert.equal(byId[kept].before.priority, 1);
  assert.equal(byId[kept].after.priority, 2);
  assert.equal(byId[kept].action, 'update');
  assert.deepEqual(byId[gone].before, earlier[gone]);
  assert.equal(later[gone], undefined);
  assert.equal(byId[gone].after, null);
  assert.equal(byId[gone].action, 'delete');
  for (const r of ours.data) assert.match(r.idempotencyKey, UUID);
  // The same records through the manager's getPayload (a dashboard token instead of the JWT).
  const isn = expected.payloadUrl.split(`/${hook.id}/`)[1];
  assert.deepStrictEqual(own(await edge.webhooks.manager.getPayload(hook.id, isn)), own(ours));

  // processPayload: the same handlers, called in the same order, with the same records.
  const dispatch = async (hooks) => {
    const seen = [];
    const { typedHandlers, combineHandlers } = hooks.helpers();
    const handlers = combineHandlers(
      typedHandlers('goals', 'create', async (r) => seen.push(['goals.create', r.id])),
      typedHandlers('goals', '$default', (r) => seen.push(['goals.$default', r.action, r.id])),
      typedHandlers('$default', (r) => seen.push(['$default', r.id])),
    );
    await hooks.processPayload(handlers, ours);
    return seen;
  };
  const [mine, officials] = [await dispatch(edge.webhooks), await dispatch(official.webhooks)];
  assert.deepStrictEqual(mine, officials);
  assert.deepEqual(mine.map((s) => s.at(-1)), ours.data.map((r) => r.id));
  assert.deepEqual(mine.map((s) => s[0]), ours.data.map((r) => (r.action === 'create' ? 'goals.create' : 'goals.$default')));

  // Refusals, each with the same InstantError name and message from both.
  const t = header.match(/t=(\d+)/)[1];
  const v1 = header.match(/v1=([0-9a-f]+)/)[1];
  const other = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const otherSig = Buffer.from(await crypto.subtle.sign('Ed25519', other.privateKey, new TextEncoder().encode(`${t}.${body}`))).toString('hex');
  const tampered = body.replace('"token":"eyJ', '"token":"eyj');
  assert.notEqual(tampered, body);
  const refusals = [
    ['a tampered body', (h) => h.validate(header, tampered), 'Instant Signature did not validate'],
    ['a tampered body through validateRequest', (h) =>
      h.validateRequest(new Request('http://127.0.0.1/hook', { method: 'POST', headers: delivery.headers, body: tampered })),
    'Instant Signature did not validate'],
    ['another key under the same kid', (h) => h.validate(`t=${t},kid=424242,v1=${otherSig}`, body), 'Instant Signature did not validate'],
    ['an unknown kid', (h) => h.validate(`t=${t},kid=77,v1=${v1}`, body), 'Could not find matching signing key'],
    // An hour after `t` (the emulator's clock, which other tests may have moved ahead of ours).
    ['an old signature', (h) => h.validate(header, body, { receivedAt: new Date((Number(t) + 3600) * 1000) }), 'Webhook signature is too old'],
    ['a changed t', (h) => h.validate(`t=${Number(t) + 1},kid=424242,v1=${v1}`, body), 'Instant Signature did not validate'],
  ];
  for (const [label, call, message] of refusals) {
    const [ours_, theirs_] = [await outcome(() => call(edge.webhooks)), await outcome(() => call(official.webhooks))];
    assert.deepStrictEqual(ours_, theirs_, label);
    assert.deepStrictEqual(ours_, { name: 'InstantError', message, isError: true }, label);
  }
  // And the tolerance: a generous one accepts that same late arrival.
  const late = { receivedAt: new Date((Number(t) + 3600) * 1000), tolerance: 7200 };
  assert.deepStrictEqual(await outcome(() => edge.webhooks.validate(header, body, late)), await outcome(() => official.webhooks.validate(header, body, late)));
  assert.deepStrictEqual(await edge.webhooks.validate(header, body, late), expected);
});

test('processRequest: the whole receiver path on the delivered request', async () => {
  const app = await clients();
  const sink = await receiver();
  await app.edge.webhooks.manager.create({ url: sink.url, namespaces: ['goals'], actions: ['create'] });
  const goal = crypto.randomUUID();
  await app.edge.transact(app.edge.tx.goals[goal].update({ title: 'Hello' }));
  await flush();
  const [delivery] = sink.requests;
  const runs = [];
  for (const db of [app.edge, app.official]) {
    const seen = [];
    await db.webhooks.processRequest(
      { goals: { create: (r) => seen.push(r.after) } },
      new Request('http://127.0.0.1/hook', { method: 'POST', headers: delivery.headers, body: delivery.body }),
    );
    runs.push(seen);
  }
  assert.deepStrictEqual(runs[0], runs[1]);
  assert.deepEqual(runs[0], (await app.edge.query({ goals: {} })).goals);
  assert.equal(runs[0][0].title, 'Hello');
});

test('retries: a 500 then a 200, both attempts on the event and in the delivery log', async () => {
  const app = await clients();
  const sink = await receiver((n) => (n === 1 ? 500 : 200));
  const hook = await app.edge.webhooks.manager.create({ url: sink.url, namespaces: ['goals'], actions: ['create'] });
  await app.edge.transact(app.edge.tx.goals[crypto.randomUUID()].update({ title: 'Retry me' }));
  await flush();

  assert.equal(sink.requests.length, 2);
  const [first, second] = sink.requests;
  // The same event: one idempotency key; each attempt signed afresh and valid.
  assert.equal(first.headers['idempotency-key'], second.headers['idempotency-key']);
  for (const r of sink.requests) {
    const verdict = await app.edge.webhooks.validate(r.headers['instant-signature'], r.body);
    assert.deepEqual(await app.official.webhooks.validate(r.headers['instant-signature'], r.body), verdict);
  }
  assert.equal(JSON.parse(first.body).payloadUrl, JSON.parse(second.body).payloadUrl);

  const { events } = await app.edge.webhooks.manager.listEvents(hook.id);
  assert.equal(events.length, 1);
  const [ours, theirs] = [await app.edge.webhooks.manager.getEvent(hook.id, events[0].isn), await app.official.webhooks.manager.getEvent(hook.id, events[0].isn)];
  assert.deepStrictEqual(own(ours), own(theirs));
  assert.equal(ours.status, 'success');
  assert.equal(ours.nextAttemptAfter, null);
  assert.equal(ours.attempts.length, 2);
  assert.deepEqual(
    ours.attempts.map(({ success, statusCode, responseText, errorType, errorMessage }) => ({ success, statusCode, responseText, errorType, errorMessage })),
    [
      { success: false, statusCode: 500, responseText: 'no (500)', errorType: null, errorMessage: null },
      { success: true, statusCode: 200, responseText: 'ok', errorType: null, errorMessage: null },
    ],
  );
  assert.ok(ours.attempts[0].attemptAt < ours.attempts[1].attemptAt, 'attempts oldest first');
  for (const a of ours.attempts) assert.equal(typeof a.durationMs, 'number');

  const log = await deliveries(app.appId);
  assert.deepEqual(log.map((d) => [d.attempt, d.status, d.success, d.isn]), [[1, 500, false, events[0].isn], [2, 200, true, events[0].isn]]);
  assert.deepEqual(log.map((d) => d.body), [first.body, second.body]);
});

test('a 410 fails the event at once and disables the webhook, as the server does', async () => {
  const app = await clients();
  const sink = await receiver(() => 410);
  const hook = await app.edge.webhooks.manager.create({ url: sink.url, namespaces: ['goals'], actions: ['create'] });
  await app.edge.transact(app.edge.tx.goals[crypto.randomUUID()].update({ title: 'Gone for good' }));
  await flush();
  assert.equal(sink.requests.length, 1);
  const [ours, theirs] = [await app.edge.webhooks.manager.list(), await app.official.webhooks.manager.list()];
  assert.deepStrictEqual(own(ours), own(theirs));
  assert.equal(ours[0].id, hook.id);
  assert.equal(ours[0].status, 'disabled');
  assert.equal(ours[0].disabledReason, 'Endpoint returned 410 status code.');
  const { events } = await app.edge.webhooks.manager.listEvents(hook.id);
  assert.equal(events[0].status, 'failed');
  assert.equal(events[0].attempts.length, 1);
  assert.equal(events[0].attempts[0].statusCode, 410);
});
