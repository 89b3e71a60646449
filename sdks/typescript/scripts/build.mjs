// Builds the package: ES modules and CommonJS, each with its type declarations.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
for (const project of ['tsconfig.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}
// dist/cjs holds CommonJS even though the package is "type": "module".
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
