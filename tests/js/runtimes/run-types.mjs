// TypeScript: types.ts and typed-app.ts (an app typed by its schema, with `@ts-expect-error` lines
// for what must not compile) import `instant-edge` by name, platform-types.ts
// `instant-edge/platform`, and they must compile under --strict, with
// the `types` export found through package.json by both Node-style and bundler-style resolution.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { broken, report } from './host.mjs';

const files = ['./types.ts', './typed-app.ts', './platform-types.ts'].map((f) => fileURLToPath(new URL(f, import.meta.url)));
// node_modules/instant-edge links to pkg/, and tsc reports files by their real path.
const declarations = ['index.d.ts', 'platform.d.ts'].map((f) => realpathSync(fileURLToPath(new URL(`./node_modules/instant-edge/${f}`, import.meta.url))));
const common = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: [] };
const modes = {
  'nodenext resolution': { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
  'bundler resolution': { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
};
let ok = false;
try {
  const results = Object.entries(modes).map(([name, options]) => {
    const program = ts.createProgram(files, { ...common, ...options });
    const seen = new Set(program.getSourceFiles().map((f) => realpathSync(f.fileName)));
    const resolved = declarations.every((d) => seen.has(d));
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.formatDiagnostic(d, {
      getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => '\n',
    }));
    if (!resolved) problems.push('instant-edge and instant-edge/platform did not resolve to index.d.ts and platform.d.ts');
    return { name: `types.ts, typed-app.ts and platform-types.ts compile with ${name}`, ok: problems.length === 0, error: problems.join('') };
  });
  const failed = results.filter((r) => !r.ok).length;
  ok = report('types', { passed: results.length - failed, failed, results });
} catch (error) {
  ok = broken('types', error);
}
process.exit(ok ? 0 : 1);
