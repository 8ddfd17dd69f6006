// Compiled (never run) by run-types.mjs under --strict: a small app typed by its schema, as a user
// of `init({ schema })` writes it. Every `@ts-expect-error` marks code that must not compile; the
// `Expect<Equal<...>>` lines pin result types exactly.
import {
  init, id, i, lookup, setInstantWarningsEnabled,
  type InstaQLEntity, type InstaQLParams, type InstaQLResult, type InstaQLResponse, type InstaQLFields,
  type InstantAdminDatabase, type InstantRules, type InstantSchemaDef, type UpdateParams, type CreateParams,
  type LinkParams, type TransactionChunk, type ValidQuery, type ResolveAttrs, type RoomsOf, type PresenceOf,
  type SubscribeQueryPayload,
} from 'instant-edge';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

const _schema = i.schema({
  entities: {
    $users: i.entity({ email: i.string().unique().indexed() }),
    profiles: i.entity({
      handle: i.string().unique().indexed(),
      bio: i.string().optional(),
      joined: i.date().indexed(),
    }),
    projects: i.entity({
      name: i.string().indexed(),
      status: i.string<'active' | 'archived'>().indexed(),
      budget: i.number().optional(),
      settings: i.json<{ color: string; public: boolean }>(),
    }),
    tasks: i.entity({
      title: i.string(),
      done: i.boolean().indexed(),
      priority: i.number().indexed().optional(),
      due: i.date().optional(),
      notes: i.any().optional(),
    }),
    comments: i.entity({ body: i.string(), createdAt: i.date().indexed() }),
  },
  links: {
    profileUser: { forward: { on: 'profiles', has: 'one', label: '$user' }, reverse: { on: '$users', has: 'one', label: 'profile' } },
    projectOwner: { forward: { on: 'projects', has: 'one', label: 'owner' }, reverse: { on: 'profiles', has: 'many', label: 'ownedProjects' } },
    projectTasks: {
      forward: { on: 'projects', has: 'many', label: 'tasks' },
      reverse: { on: 'tasks', has: 'one', label: 'project', onDelete: 'cascade' },
    },
    taskAssignees: { forward: { on: 'tasks', has: 'many', label: 'assignees' }, reverse: { on: 'profiles', has: 'many', label: 'assigned' } },
    taskComments: { forward: { on: 'tasks', has: 'many', label: 'comments' }, reverse: { on: 'comments', has: 'one', label: 'task' } },
  },
  rooms: { board: { presence: i.entity({ name: i.string(), cursor: i.json<{ x: number; y: number }>().optional() }) } },
});
// The usual schema-file idiom: an interface keeps editor hovers short.
type _Schema = typeof _schema;
interface Schema extends _Schema {}
const schema: Schema = _schema;

const db = init({ appId: id(), adminToken: 'token', schema });
const dated = init({ appId: id(), schema, useDateObjects: true });
const annotated: InstantAdminDatabase<Schema> = db;
const annotatedDates: InstantAdminDatabase<Schema, true> = dated.asUser({ guest: true });

// Queries whose shapes are shared, as apps keep them next to their components.
const boardQuery = {
  projects: {
    $: { where: { status: 'active', 'owner.handle': 'ada' }, order: { name: 'asc' }, first: 20 },
    owner: {},
    tasks: {
      $: { where: { done: false, priority: { $gte: 2 } }, fields: ['title', 'priority'] },
      assignees: { $: { fields: ['handle'] } },
      comments: {},
    },
  },
} satisfies InstaQLParams<Schema>;
type Board = InstaQLResult<Schema, typeof boardQuery>;
type Project = Board['projects'][number];
type Task = InstaQLEntity<Schema, 'tasks', { project: {}; comments: {} }>;
type TaskTitle = InstaQLEntity<Schema, 'tasks', {}, ['title']>;
type _checks = [
  Expect<Equal<Project['name'], string>>,
  Expect<Equal<Project['status'], 'active' | 'archived'>>,
  Expect<Equal<Project['budget'], number | undefined>>,
  Expect<Equal<Project['settings'], { color: string; public: boolean }>>,
  Expect<Equal<Project['owner'], { id: string; handle: string; bio?: string; joined: string | number } | undefined>>,
  Expect<Equal<Project['tasks'][number], {
    id: string;
    title: string;
    priority: number | undefined;
    assignees: { id: string; handle: string }[];
    comments: { id: string; body: string; createdAt: string | number }[];
  }>>,
  Expect<Equal<Task['project'], { id: string; name: string; status: 'active' | 'archived'; budget?: number; settings: { color: string; public: boolean } } | undefined>>,
  Expect<Equal<Task['due'], string | number | undefined>>,
  Expect<Equal<TaskTitle, { id: string; title: string }>>,
  Expect<Equal<ResolveAttrs<Schema['entities'], 'comments', true>, { body: string; createdAt: Date }>>,
  Expect<Equal<InstaQLFields<Schema, 'profiles'>, ('handle' | 'bio' | 'joined' | 'id')[]>>,
  Expect<Equal<PresenceOf<Schema, 'board'>, { name: string; cursor?: { x: number; y: number } }>>,
  Expect<Equal<keyof RoomsOf<Schema>, 'board'>>,
  Expect<Equal<InstaQLResponse<Schema, { comments: {} }>, { comments: { id: string; body: string; createdAt: string | number }[] }>>,
];

function checkQuery<Q extends ValidQuery<Q, Schema>>(q: Q): Q {
  return q;
}

export async function app(userId: string): Promise<string[]> {
  const board = await db.query(boardQuery, { ruleParams: { userId } });
  const firstTask = board.projects[0]?.tasks[0];
  const titles = board.projects.flatMap((p) => p.tasks.map((t) => `${p.name} (${p.owner?.handle ?? '-'}): ${t.title} ${t.priority ?? 0}`));
  const handles: string[] = firstTask?.assignees.map((a) => a.handle) ?? [];

  // Inline queries: `fields` narrows, `where` walks links, `$users` links resolve.
  const mine = await db.query({
    profiles: {
      $: { where: { '$user.id': userId }, fields: ['handle'] },
      $user: {},
      ownedProjects: { $: { where: { 'tasks.assignees.handle': { $in: ['ada', 'grace'] } } } },
      assigned: { project: { owner: { $: { fields: ['handle', 'bio'] } } } },
    },
  });
  const profile = mine.profiles[0];
  const handle: string = profile.handle;
  const email: string | undefined = profile.$user?.email;
  const budget: number | undefined = profile.ownedProjects[0]?.budget;
  const ownerBio: string | undefined = profile.assigned[0]?.project?.owner?.bio;
  type _inline = [
    Expect<Equal<typeof board, Board>>,
    Expect<Equal<typeof profile.$user, { id: string; email: string } | undefined>>,
    Expect<Equal<keyof typeof profile, 'id' | 'handle' | '$user' | 'ownedProjects' | 'assigned'>>,
    Expect<Equal<(typeof profile.assigned)[number]['project'], {
      id: string; name: string; status: 'active' | 'archived'; budget?: number; settings: { color: string; public: boolean };
      owner: { id: string; handle: string; bio: string | undefined } | undefined;
    } | undefined>>,
  ];
  // @ts-expect-error: `bio` was not asked for by `fields`
  profile.bio;
  // @ts-expect-error: `ownedProjects` is has-many: an array
  profile.ownedProjects.name;
  // @ts-expect-error: `project` is has-one: an object or undefined
  profile.assigned[0].project.name;

  const users = await db.query({ $users: { $: { where: { email: { $like: '%@example.com' } } }, profile: {} } });
  const userHandle: string | undefined = users.$users[0]?.profile?.handle;

  // Dates are Date objects with `useDateObjects: true`.
  const comments = await dated.query({ comments: { $: { order: { createdAt: 'desc' }, limit: 5 }, task: {} } });
  const when: Date = comments.comments[0].createdAt;
  const due: Date | undefined = comments.comments[0].task?.due;
  const plain = await db.query({ comments: {} });
  const raw: string | number = plain.comments[0].createdAt;
  type _dates = Expect<Equal<(typeof comments.comments)[number]['task'], {
    id: string; title: string; done: boolean; priority?: number; due?: Date; notes?: any;
  } | undefined>>;

  // Live queries and permission checks carry the same result types.
  const live = db.subscribeQuery({ tasks: { $: { where: { done: true } }, project: {} } }, (payload) => {
    if (payload.type === 'ok') console.log(payload.data.tasks.map((t) => t.project?.name));
  });
  for await (const payload of live) {
    if (payload.type === 'ok') console.log(payload.data.tasks.length, payload.pageInfo);
    break;
  }
  live.close();
  const payloadType: SubscribeQueryPayload<Schema, { tasks: {} }> | undefined = undefined;
  const debugged = await db.asUser({ email: 'ada@example.com' }).debugQuery({ tasks: { project: {} } }, { rules: {} satisfies InstantRules<Schema> });
  const debugProject: string | undefined = debugged.result.tasks[0].project?.name;
  const arrays = await db.asUser({ guest: true }).debugQuery({ tasks: { project: {} } }, { cardinalityInference: false });
  const arrayProject: string | undefined = arrays.result.tasks[0].project[0]?.name;

  // Transactions: attributes, values and link labels checked.
  const projectId = id();
  const taskId = id();
  const steps: TransactionChunk<any, any>[] = [
    db.tx.projects[projectId].update({ name: 'Launch', status: 'active', settings: { color: 'red', public: false }, budget: null }),
    db.tx.projects[projectId].merge({ settings: { public: true } }),
    db.tx.tasks[taskId].create({ title: 'Write docs', done: false, due: new Date() }).link({ project: projectId, assignees: [id(), id()] }),
    db.tx.tasks[taskId].update({ due: '2025-01-01', priority: 3, notes: { anything: [1, 'two'] } }, { upsert: false }),
    db.tx.profiles.lookup('handle', 'ada').link({ ownedProjects: projectId, $user: userId }),
    db.tx.profiles[lookup('handle', 'grace')].unlink({ assigned: taskId }),
    db.tx.comments[id()].update({ body: 'LGTM', createdAt: Date.now() }).link({ task: taskId }),
    db.tx.$users[userId].link({ profile: id() }),
    db.tx.tasks[taskId].delete(),
  ];
  const { 'tx-id': txId } = await db.transact(steps);
  await annotated.asUser({ token: 'refresh' }).transact(db.tx.tasks[taskId].ruleParams({ userId }).update({ done: true }));
  const patch: UpdateParams<Schema, 'tasks'> = { priority: null };
  const fresh: CreateParams<Schema, 'comments'> = { body: 'hi', createdAt: new Date() };
  const links: LinkParams<Schema, 'tasks'> = { project: projectId, comments: [id()] };
  const query = checkQuery({ tasks: { comments: { $: { where: { body: 'x' } } } } });
  const schemaDef: InstantSchemaDef<any, any, any> = schema;

  // @ts-expect-error: no namespace `milestones` in the schema
  await db.query({ milestones: {} });
  // @ts-expect-error: no link `owner` on tasks
  await db.query({ tasks: { owner: {} } });
  // @ts-expect-error: `fields` names an unknown attribute
  await db.query({ tasks: { $: { fields: ['title', 'estimate'] } } });
  // @ts-expect-error: `where` on an unknown link path
  await db.query({ tasks: { $: { where: { 'project.manager.handle': 'ada' } } } });
  // @ts-expect-error: `where` value of the wrong type
  await db.query({ tasks: { $: { where: { done: 'yes' } } } });
  // @ts-expect-error: `order` only on indexed attributes
  await db.query({ tasks: { $: { order: { title: 'asc' } } } });
  // @ts-expect-error: a string enum admits its members only
  await db.query({ projects: { $: { where: { status: 'deleted' } } } });
  // @ts-expect-error: no namespace `milestones` in db.tx
  db.tx.milestones[id()].update({ title: 'x' });
  // @ts-expect-error: unknown attribute in update
  db.tx.tasks[taskId].update({ estimate: 3 });
  // @ts-expect-error: wrong value type in update
  db.tx.tasks[taskId].update({ done: 'yes' });
  // @ts-expect-error: a required attribute cannot be null
  db.tx.tasks[taskId].update({ title: null });
  // merge is unchecked, as in @instantdb/admin: a partial or open-ended deep merge compiles
  db.tx.projects[projectId].merge({ settings: { color: 1 } });
  // @ts-expect-error: unknown link label in link
  db.tx.tasks[taskId].link({ owner: userId });
  // @ts-expect-error: unknown link label in unlink
  db.tx.projects[projectId].unlink({ assignees: userId });
  // @ts-expect-error: a has-one link takes one id
  db.tx.tasks[taskId].link({ project: [projectId] });
  // @ts-expect-error: create needs every required attribute
  db.tx.comments[id()].create({ body: 'no date' });
  // @ts-expect-error: lookup takes a unique attribute
  db.tx.tasks.lookup('title', 'x');
  // @ts-expect-error: asUser keeps the schema
  db.asUser({ guest: true }).tx.milestones;
  // @ts-expect-error: subscribeQuery checks the query too
  db.subscribeQuery({ tasks: { $: { fields: ['estimate'] } } });
  // @ts-expect-error: the result has no namespace that was not queried
  plain.tasks;

  // Per-call fetchOpts and the init options of @instantdb/admin.
  await db.query({ projects: {} }, { fetchOpts: { headers: { 'x-proxy-key': 'k' }, cache: 'no-store' } });
  await db.transact([], { fetchOpts: { headers: [['x-trace', 't']] } });
  // @ts-expect-error: fetchOpts cannot set the method
  await db.query({ projects: {} }, { fetchOpts: { method: 'GET' } });
  const logged = init({ appId: id(), schema, verbose: true, logger: console });
  // @ts-expect-error: a logger has info, debug and error
  init({ appId: id(), verbose: true, logger: { info: () => {} } });
  setInstantWarningsEnabled(false);

  console.log(titles, handles, handle, email, budget, ownerBio, userHandle, when, due, raw, debugProject, arrayProject, annotatedDates);
  console.log(txId, patch, fresh, links, query, schemaDef, payloadType, logged);
  return titles;
}

// Without a schema nothing changes: results are `any` (or what the caller names).
const untyped = init({ appId: id() });
export async function legacy(): Promise<void> {
  const anything = await untyped.query({ milestones: { owner: {} } });
  anything.milestones[0].whatever.goes;
  const named = await untyped.query<{ goals: { id: string }[] }>({ goals: {} });
  const goalId: string = named.goals[0].id;
  await untyped.transact(untyped.tx.milestones[id()].update({ anything: 1 }).link({ owner: goalId }));
}
