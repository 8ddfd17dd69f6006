// Compiled (never run) by run-types.mjs: the `types` export resolves by name and the
// @instantdb/admin-style calls type-check under --strict.
import { init, tx, id, lookup, InstantAPIError, type DebugCheckResult, type ErrorKind, type InstantAdminDatabase } from 'instant-edge';

const db: InstantAdminDatabase = init({ appId: id(), adminToken: 'token', apiURI: 'http://127.0.0.1:8888', timeout: 5000, retries: 0 });
const goal = id();
const chunks = [
  db.tx.goals[goal].update({ title: 'Get fit' }, { upsert: false }).link({ todos: id() }),
  tx.goals[lookup('slug', 'fit')].merge({ meta: { a: 1 } }).unlink({ todos: [id(), id()] }),
  tx.goals.lookup('slug', 'fit').create({ title: 'x' }).ruleParams({ key: 'k' }).delete(),
];
const ops: readonly unknown[] = chunks[0].__ops;
const etype: string = chunks[0].__etype;

async function usage(signal: AbortSignal): Promise<number> {
  const result = await db.query<{ goals: { id: string; title: string }[] }>({ goals: { $: { where: { id: goal } }, todos: {} } }, { ruleParams: { k: 1 }, signal, timeout: 100 });
  const title: string = result.goals[0].title;
  const untyped = await db.asUser({ guest: true }).query({ goals: {} });
  untyped.anything.goes;
  await db.asUser({ email: 'a@b.c' }).transact(chunks[0]);
  const { 'tx-id': txId } = await db.asUser({ token: 'refresh' }).transact(chunks, { signal, timeout: 0 });
  try {
    await db.query({ goals: {} });
  } catch (error) {
    if (error instanceof InstantAPIError) {
      const kind: ErrorKind = error.kind;
      const status: number = error.status;
      const type: string | null | undefined = error.body.type;
      console.log(kind, status, type, error.hint, error.traceId, error.message, title, ops, etype);
    }
  }
  const guest = db.asUser({ guest: true });
  const rules = { goals: { allow: { view: 'auth.id != null' } } };
  const debugged = await guest.debugQuery<{ goals: { id: string }[] }>({ goals: {} }, { rules, ruleParams: { k: 1 }, ip: '::1', origin: null, cardinalityInference: true, signal });
  const checked: DebugCheckResult = debugged.checkResults[0];
  console.log(debugged.result.goals[0].id, checked.entity, checked.check);
  const dry = await guest.debugTransact(chunks, { rules, ip: null, origin: 'https://a.example', timeout: 100 });
  const allOk: boolean = dry['all-checks-ok?'];
  console.log(dry['tx-id'], allOk, dry['check-results']?.[0]?.['check-pass?']);
  const made = new InstantAPIError({ status: 400, body: { message: 'no' } });
  return txId + made.status;
}
usage(new AbortController().signal);

// @ts-expect-error: asUser takes one of email, token or guest
db.asUser({ nobody: true });
// @ts-expect-error: unknown ops are not on a chunk
tx.goals[goal].explode();
// @ts-expect-error: lookup takes an attribute name
lookup(5, 'x');
