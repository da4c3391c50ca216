/**
 * appc meta discovery (appc spec discovery.md): `GET https://NAME?ac-discovery=1`, the
 * `<meta name="ac-discovery" content="PREFIX TEMPLATE">` and `ac-discovery-pubkeys` tags of the
 * answer, and, on a 4xx or a page without usable tags, the same one path component up. Templates
 * are rendered with {name}, {version} (default `latest`), {os}, {arch}, {ext} and any other label;
 * a template left with an unresolved `{…}` is skipped.
 */
import { RktError } from '../../errors/rkt-error.js';
import { type AppcHttp, getSmall } from './appc-http.js';

export interface DiscoveredEndpoints {
  /** Where the ACI and its signature are, in the order the page gives them. */
  acis: { aci: string; asc: string }[];
  pubkeys: string[];
}

const MAX_PAGE_BYTES = 1024 * 1024;

interface MetaTag {
  name: string;
  content: string;
}

/** `<meta name="…" content="…">` tags; attributes in any order, either quote. */
export function parseMetaTags(html: string): MetaTag[] {
  const tags: MetaTag[] = [];
  for (const match of html.matchAll(/<meta\b([^>]*)>/gi)) {
    const attributes = new Map<string, string>();
    for (const attribute of match[1]!.matchAll(/([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attributes.set(attribute[1]!.toLowerCase(), attribute[2] ?? attribute[3] ?? '');
    }
    const name = attributes.get('name');
    const content = attributes.get('content');
    if (name !== undefined && content !== undefined) tags.push({ name, content });
  }
  return tags;
}

export function renderTemplate(template: string, name: string, labels: ReadonlyMap<string, string>, ext: string): string | undefined {
  const values = new Map<string, string>([...labels, ['name', name], ['ext', ext]]);
  if (!values.has('version')) values.set('version', 'latest');
  const rendered = template.replace(/\{([^{}]+)\}/g, (whole, key: string) => values.get(key) ?? whole);
  return /\{[^{}]*\}/.test(rendered) ? undefined : rendered;
}

function endpointsFrom(tags: readonly MetaTag[], name: string, labels: ReadonlyMap<string, string>): DiscoveredEndpoints {
  const found: DiscoveredEndpoints = { acis: [], pubkeys: [] };
  for (const tag of tags) {
    const [prefix = '', template = '', ...extra] = tag.content.trim().split(/\s+/);
    if (template === '' || extra.length > 0 || !name.startsWith(prefix)) continue;
    if (tag.name === 'ac-discovery') {
      const aci = renderTemplate(template, name, labels, 'aci');
      const asc = renderTemplate(template, name, labels, 'aci.asc');
      if (aci !== undefined && asc !== undefined) found.acis.push({ aci, asc });
    } else if (tag.name === 'ac-discovery-pubkeys') {
      found.pubkeys.push(template);
    }
  }
  return found;
}

/** Discovers where `name` (with its labels) is; `want` says which kind of tag must be found. */
export async function discover(name: string, labels: ReadonlyMap<string, string>, http: AppcHttp, want: 'acis' | 'pubkeys'): Promise<DiscoveredEndpoints> {
  const tried: string[] = [];
  for (let path = name; path !== ''; path = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '') {
    const url = new URL(`https://${path}`);
    url.searchParams.set('ac-discovery', '1');
    tried.push(url.href);
    let page;
    try {
      page = await getSmall(url, http, MAX_PAGE_BYTES);
    } catch (error) {
      // HTTPS first; plain HTTP only with --insecure-options=http, as the spec allows.
      if (!http.allowHttp) throw error;
      url.protocol = 'http:';
      tried.push(url.href);
      page = await getSmall(url, http, MAX_PAGE_BYTES);
    }
    if (page.body === undefined) {
      if (page.status >= 400 && page.status < 500) continue;
      throw new RktError('image', 'ERR_APPC_DISCOVERY_FAILED', `discovery of ${name}: ${url.href} answered ${page.status}`);
    }
    const endpoints = endpointsFrom(parseMetaTags(page.body.toString('utf8')), name, labels);
    if (endpoints[want].length > 0) return endpoints;
  }
  throw new RktError('image', 'ERR_APPC_DISCOVERY_FAILED', `discovery of ${name} found no ${want === 'acis' ? 'ac-discovery' : 'ac-discovery-pubkeys'} tag for it (tried ${tried.join(', ')})`, {
    hint: 'check the name, its version and labels; a server must answer ?ac-discovery=1 with <meta name="ac-discovery" content="PREFIX TEMPLATE">',
  });
}
