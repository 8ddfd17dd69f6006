// Browsers, Deno and Bun: the wasm compiled as it streams in (from its bytes when it is not
// served as application/wasm).
export { InstantError, QueryValidationError, TransactionValidationError, setInstantWarningsEnabled } from './dist/api.js';
import { initSync } from './dist/api.js';
const response = await fetch(new URL('./dist/instant_edge_bg.wasm', import.meta.url));
if (!response.ok) throw new Error(`instant-edge: the wasm answered ${response.status}`);
let module;
try {
  module = await WebAssembly.compileStreaming(response.clone());
} catch {
  module = await WebAssembly.compile(await response.arrayBuffer());
}
initSync({ module });
export { init, tx, id, lookup, i, InstantAPIError } from './dist/api.js';
