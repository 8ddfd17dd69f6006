// A Cloudflare Worker using instant-edge exactly as it would use @instantdb/admin: only the
// import changes. The emulator's URL and credentials arrive as bindings (wrangler vars/secrets).
import { init, id, InstantAPIError } from 'instant-edge';

export default {
  async fetch(request, env) {
    const lines = [];
    const say = (text = '') => lines.push(text);
    const db = init({ appId: env.INSTANT_APP_ID, adminToken: env.INSTANT_APP_ADMIN_TOKEN, apiURI: env.INSTANT_API_URI });

    // Goals and todos, linked, in one transaction.
    const goals = [
      { title: 'Launch instant-edge', priority: 1, todos: ['Ship v0.1', 'Write the README'] },
      { title: 'Get fit', priority: 2, todos: ['Run 5k', 'Stretch'] },
      { title: 'Read more books', priority: 3, todos: [] },
    ].map((goal) => ({ ...goal, id: id(), todoIds: goal.todos.map(() => id()) }));
    const chunks = goals.flatMap((goal) => [
      db.tx.goals[goal.id].update({ title: goal.title, priority: goal.priority }),
      ...goal.todos.map((text, i) => db.tx.todos[goal.todoIds[i]].update({ text, done: i === 1 })),
      ...(goal.todoIds.length ? [db.tx.goals[goal.id].link({ todos: goal.todoIds })] : []),
    ]);
    const { 'tx-id': txId } = await db.transact(chunks);
    say(`transact: ${goals.length} goals and ${goals.reduce((n, g) => n + g.todos.length, 0)} todos, linked (tx-id ${txId})`);

    // Nested query with where, order and pagination.
    const page = async (offset) =>
      db.query({
        goals: {
          $: { where: { priority: { $gte: 1 } }, order: { priority: 'desc' }, limit: 2, offset },
          todos: { $: { where: { done: false } } },
        },
      });
    for (const offset of [0, 2]) {
      const { goals: rows } = await page(offset);
      say(`query page (limit 2, offset ${offset}, priority desc, open todos nested):`);
      for (const goal of rows) {
        say(`  ${goal.priority}. ${goal.title} — open: ${goal.todos.map((t) => t.text).join(', ') || 'none'}`);
      }
    }

    // The same data as a guest: permission defaults apply ($users are hidden).
    const guest = await db.asUser({ guest: true }).query({ goals: { $: { fields: ['title'] } }, $users: {} });
    say(`as a guest: ${guest.goals.length} goals visible, ${guest.$users.length} users visible`);

    // Bad input is a typed error, and nothing is sent.
    try {
      await db.transact(db.tx.goals['goal-1'].update({ title: 'x' }));
      say('bad input was accepted: this is a bug');
    } catch (error) {
      say(`typed error from bad input: ${error.name} kind=${error.kind} instanceof InstantAPIError=${error instanceof InstantAPIError}`);
      say(`  ${error.message}`);
    }
    // And a server error carries status, type and hint.
    try {
      await db.query({ goals: { $: { limit: -1 } } });
    } catch (error) {
      say(`typed error from the server: kind=${error.kind} status=${error.status} type=${error.body.type}`);
      say(`  ${error.message}`);
    }
    return new Response(`${lines.join('\n')}\n`, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
  },
};
