// Node: `import 'instant-edge'` resolves through the package's `node` condition.
import * as pkg from 'instant-edge';
import { freshApp, report, run } from './suite.mjs';

const ok = report('node', await run(pkg, await freshApp(process.env.INSTANT_API_URI)));
process.exit(ok ? 0 : 1);
