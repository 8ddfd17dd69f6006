// Deno (`deno run -A run-deno.mjs`): the bare name resolves through node_modules and the
// package's exports (Deno matches `node`, so it loads node.js).
import { main } from './host.mjs';

const checks = {
  // Last, since it drops a permission for the rest of the process: without --allow-env the
  // package must still work from explicit config (reading the environment throws NotCapable).
  'without env permission, init takes explicit config and fills nothing': async ({ init, id }, app, { eq, throws }) => {
    await Deno.permissions.revoke({ name: 'env' });
    eq((await Deno.permissions.query({ name: 'env' })).state, 'prompt', 'env permission revoked');
    const goal = id();
    const db = init(app);
    await db.transact(db.tx.goals[goal].update({ title: 'no env' }));
    eq((await db.query({ goals: { $: { where: { id: goal } } } })).goals.length, 1, 'explicit config works');
    throws(() => init(), 'invalid-argument'); // no app id from anywhere
  },
};
Deno.exit((await main('deno', { env: Deno.env, checks })) ? 0 : 1);
