// Bun: resolves `instant-edge` through its exports (Bun matches the `node` condition too).
import * as pkg from 'instant-edge';
import { freshApp, report, run } from './suite.mjs';

const ok = report('bun', await run(pkg, await freshApp(process.env.INSTANT_API_URI)));
process.exit(ok ? 0 : 1);
