// Writes dist/index.mjs, the ESM entry of a package compiled to CommonJS, so the package
// works from both `import` and `require` with one build. Node's CommonJS lexer detects the
// named exports tsc emits, so `export *` re-exports them by name.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = process.argv[2] ?? 'dist';
writeFileSync(join(dist, 'index.mjs'), "export * from './index.js';\n");
