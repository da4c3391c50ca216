/**
 * JSON.parse keeps the last of two equal keys, so `{"digest": A, "digest": B}` can mean one thing
 * to rkt and another to a tool that keeps the first. Documents with duplicate keys are refused.
 * This scanner runs over text that JSON.parse has already accepted, so it only has to track
 * strings and nesting, not validate grammar.
 */
export function findDuplicateJsonKey(text: string): string | undefined {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '{') stack.push(new Set());
    else if (ch === '[') stack.push(null);
    else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === '"') {
      const end = endOfString(text, i);
      const keys = stack[stack.length - 1];
      if (keys && nextNonSpace(text, end) === ':') {
        // Compare decoded keys: "a" and "\u0061" are the same key.
        const key = JSON.parse(text.slice(i, end)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = end;
      continue;
    }
    i++;
  }
  return undefined;
}

/** Index just past the closing quote of the string that starts at `start`. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

function nextNonSpace(text: string, from: number): string | undefined {
  let i = from;
  while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++;
  return text[i];
}
