// Bundles the CLI into one file so that it starts fast (one module to load, no resolution walk),
// plus rkt-oci (the OCI runtime command line, a binary of its own) and the layer extraction child,
// which runs as its own process. koffi and better-sqlite3 are native addons and are loaded from
// node_modules at run time.
import { build } from 'esbuild';
import { readFileSync, symlinkSync, rmSync, chmodSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: { rkt: 'src/cli/main.ts', 'rkt-oci': 'src/cli/oci/main.ts', 'layer-extract-child': 'src/store/layer-extract-child.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi', 'better-sqlite3'],
  define: { RKT_VERSION: JSON.stringify(version) },
  // Bundled CommonJS dependencies may call require(); give ESM output a real one.
  banner: { js: "import { createRequire as __rktCreateRequire } from 'node:module'; const require = __rktCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
for (const name of ['rkt', 'rkt-oci']) {
  chmodSync(`dist/${name}.mjs`, 0o755);
  rmSync(`dist/${name}`, { force: true });
  symlinkSync(`${name}.mjs`, `dist/${name}`);
}
