// Compiled (never run) by run-types.mjs: the `types` export resolves by name and the
// @instantdb/admin-style calls type-check under --strict.
import {
  init, tx, id, lookup, i, InstantAPIError,
  type DataAttrDef, type DebugCheckResult, type EntityDef, type ErrorKind, type InstantAdminDatabase, type InstantSchemaDef, type ValueTypes,
} from 'instant-edge';

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

// The schema builder: attribute flags, link ends and rooms are typed from the calls.
const schema = i.schema({
  entities: {
    goals: i.entity({
      title: i.string().indexed(),
      rank: i.number().unique().optional(),
      done: i.boolean().clientRequired(),
      due: i.date().optional().indexed(),
      meta: i.json<{ tags: string[] }>(),
      extra: i.any(),
      kind: i.string<'work' | 'home'>(),
    }),
    $users: i.entity({ email: i.string().unique().indexed() }),
  },
  links: {
    goalsOwner: { forward: { on: 'goals', has: 'one', label: 'owner', onDelete: 'cascade' }, reverse: { on: '$users', has: 'many', label: 'goals' } },
  },
  rooms: { chat: { presence: i.entity({ name: i.string() }), topics: { emoji: i.entity({ name: i.string() }) } } },
});
const valueType: ValueTypes = schema.entities.goals.attrs.title.valueType;
const indexed: true = schema.entities.goals.attrs.title.isIndexed;
const optional: false = schema.entities.goals.attrs.rank.required;
const clientRequired: true = schema.entities.goals.attrs.done.required;
const config: { indexed: boolean; unique: boolean } = schema.entities.goals.attrs.due.config;
const kind: DataAttrDef<'work' | 'home', true, false> = schema.entities.goals.attrs.kind;
const owner: { cardinality: 'one'; entityName: '$users' } = schema.entities.goals.links.owner;
const ownerOf: { cardinality: 'many'; entityName: 'goals' } = schema.entities.$users.links.goals;
const presence: EntityDef<any, any, any> = schema.rooms.chat.presence;
const anySchema: InstantSchemaDef<any, any, any> = schema;
const noLinks = i.schema({ entities: { notes: i.entity({ text: i.string() }).asType<{ text: string }>() } });
const legacy = i.graph({ notes: i.entity({}) }, {}).withRoomSchema<{ chat: { presence: { name: string } } }>();
init({ appId: id(), schema });
console.log(valueType, indexed, optional, clientRequired, config, kind, owner, ownerOf, presence, anySchema, noLinks.links, legacy.rooms);
// @ts-expect-error: a link names declared entities
i.schema({ entities: { notes: i.entity({}) }, links: { bad: { forward: { on: 'nope', has: 'one', label: 'a' }, reverse: { on: 'notes', has: 'many', label: 'b' } } } });
// @ts-expect-error: has is 'one' or 'many'
i.schema({ entities: { notes: i.entity({}) }, links: { bad: { forward: { on: 'notes', has: 'some', label: 'a' }, reverse: { on: 'notes', has: 'many', label: 'b' } } } });
// @ts-expect-error: no such link
schema.entities.goals.links.nope;
