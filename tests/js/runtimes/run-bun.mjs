// Bun (`node_modules/.bin/bun run-bun.mjs`): resolves `instant-edge` through its exports
// (Bun's conditions include `bun` and `node`, so it loads node.js).
import { main } from './host.mjs';

const env = { get: (name) => process.env[name], set: (name, value) => (process.env[name] = value) };
process.exit((await main('bun', { env })) ? 0 : 1);
