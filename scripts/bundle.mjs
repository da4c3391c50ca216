// Bundles the CLI into one entry so that it starts fast (no resolution walk through node_modules),
// plus rkt-oci (the OCI runtime command line, a binary of its own) and the layer extraction child,
// which runs as its own process. koffi and better-sqlite3
// are native addons and are loaded from node_modules at run time.
//
// The bundle is split at dynamic imports (dist/NAME-HASH.mjs, beside the entries, so that paths
// relative to import.meta.url stay the same): `rkt run` reads, compiles and evaluates only what
// run needs, not the commander tree, the registry client with http/https/tls, or other commands.
import { build } from 'esbuild';
import { existsSync, readFileSync, readdirSync, symlinkSync, rmSync, chmodSync } from 'node:fs';

// Chunk names carry content hashes: the previous build's chunks would otherwise pile up.
for (const name of existsSync('dist') ? readdirSync('dist', { withFileTypes: true }) : []) {
  if (name.isFile() && /-[A-Z0-9]{8}\.mjs$/.test(name.name)) rmSync(`dist/${name.name}`);
}

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: { rkt: 'src/cli/main.ts', 'rkt-oci': 'src/cli/oci/main.ts', 'layer-extract-child': 'src/store/layer-extract-child.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  chunkNames: '[name]-[hash]',
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
