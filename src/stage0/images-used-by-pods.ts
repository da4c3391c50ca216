/**
 * The images pods use, as their pod manifests name them (`apps[].image.id`, `sha256-<hex>`). Every pod
 * directory counts, whatever its state, until it is deleted: its overlay mounts stack the image's
 * layers. A pod whose manifest cannot be read yet (an embryo) is covered by the store lock instead.
 */
import { readPodManifest } from '../pod/pod-info.js';
import { PodStore } from '../pod/pod-store.js';

export function imagesUsedByPods(dataDir: string): Set<string> {
  const used = new Set<string>();
  for (const pod of new PodStore(dataDir).list()) {
    let manifest;
    try {
      manifest = readPodManifest(pod.path);
    } catch {
      continue; // vanished or half-written: a pod being created holds the store lock
    }
    for (const app of manifest?.apps ?? []) {
      if (typeof app.image?.id === 'string') used.add(app.image.id.replace('-', ':'));
    }
  }
  return used;
}
