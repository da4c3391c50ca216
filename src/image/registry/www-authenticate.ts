/**
 * Parses `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="…",service="…",scope="…"` and
 * `Basic realm="…"`, possibly several in one header. Scheme names are lower-cased; parameter
 * names too; values are unquoted.
 */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

export function parseWwwAuthenticate(header: string | string[] | undefined): AuthChallenge[] {
  const texts = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return texts.flatMap(parseOne);
}

function parseOne(text: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let rest = text.trim();
  let current: AuthChallenge | undefined;
  while (rest.length > 0) {
    rest = rest.replace(/^[\s,]+/, '');
    const name = TOKEN.exec(rest)?.[0];
    if (!name) break;
    const after = rest.slice(name.length).replace(/^\s*/, '');
    if (after.startsWith('=') && current) {
      const { value, remaining } = readValue(after.slice(1).replace(/^\s*/, ''));
      current.params[name.toLowerCase()] = value;
      rest = remaining;
    } else {
      current = { scheme: name.toLowerCase(), params: Object.create(null) as Record<string, string> };
      challenges.push(current);
      rest = after;
    }
  }
  return challenges;
}

function readValue(text: string): { value: string; remaining: string } {
  if (!text.startsWith('"')) {
    // RFC 7235 wants a token here; servers also send bare URLs, so take everything up to a comma.
    const value = /^[^,\s]*/.exec(text)?.[0] ?? '';
    return { value, remaining: text.slice(value.length) };
  }
  let value = '';
  let i = 1;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === '\\' && i + 1 < text.length) i++;
    value += text[i];
    i++;
  }
  return { value, remaining: text.slice(i + 1) };
}
