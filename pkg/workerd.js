// Workers tooling imports .wasm as a compiled WebAssembly.Module (workerd forbids compiling bytes).
export { InstantError, QueryValidationError, TransactionValidationError, setInstantWarningsEnabled } from './dist/api.js';
import wasm from './dist/instant_edge_bg.wasm';
import { initSync } from './dist/api.js';
initSync({ module: wasm });
export { init, tx, id, lookup, i, InstantAPIError } from './dist/api.js';
