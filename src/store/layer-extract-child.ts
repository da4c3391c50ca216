/**
 * Entry point of the layer extraction child: `node layer-extract-child.js TARGET-DIR [--aci] < layer.tar`.
 * It chroots into TARGET-DIR first, so that no tar entry can reach outside the layer whatever its
 * name, symlinks or hardlinks say (the approach of rkt's own `extracttar`). On success it prints one
 * JSON summary line on stdout; on failure one JSON line {code, message, entry} on stderr and exits 1.
 */
import { chroot } from '../sys/libc.js';
import { aciRootfsName, extractLayerTar } from './extract-layer-tar.js';
import { LayerEntryError } from './layer-entry-name.js';

async function main(): Promise<void> {
  const target = process.argv[2];
  if (!target) throw new LayerEntryError('USAGE', 'usage: layer-extract-child TARGET-DIR < layer.tar', '');
  // Open stdin before chroot: its stream machinery must not need anything from the host filesystem later.
  const input = process.stdin;
  chroot(target);
  process.chdir('/');
  process.umask(0); // modes come from the tar headers, exactly
  const summary = await extractLayerTar(input, process.argv[3] === '--aci' ? aciRootfsName : undefined);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const entry = error instanceof LayerEntryError ? error.entry : '';
    const code = error instanceof LayerEntryError ? error.code : ((error as { code?: string }).code ?? 'EXTRACT_FAILED');
    process.stderr.write(`${JSON.stringify({ code, message: (error as Error).message, entry })}\n`);
    process.exit(1);
  },
);
