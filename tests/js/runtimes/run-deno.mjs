// Deno (`deno run -A`): the bare name resolves through node_modules and the package's exports.
import * as pkg from 'instant-edge';
import { freshApp, report, run } from './suite.mjs';

const ok = report('deno', await run(pkg, await freshApp(Deno.env.get('INSTANT_API_URI'))));
Deno.exit(ok ? 0 : 1);
