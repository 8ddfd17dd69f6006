// Node's fetch cannot read file: URLs, so the glue's default loader fails: read the bytes.
export { InstantError, QueryValidationError, TransactionValidationError, setInstantWarningsEnabled } from './dist/api.js';
import { readFileSync } from 'node:fs';
import { initSync } from './dist/api.js';
initSync({ module: readFileSync(new URL('./dist/instant_edge_bg.wasm', import.meta.url)) });
export { init, tx, id, lookup, i, InstantAPIError } from './dist/api.js';
