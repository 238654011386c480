/**
 * What PostgreSQL cannot store as text or jsonb: the NUL character (`\u0000`) and UTF-16 surrogates
 * that are not part of a pair (JSON may escape them, `"\ud800"`, and JavaScript strings may hold
 * them, but they are not Unicode text). A string holding either makes PostgreSQL refuse the whole
 * statement, so input is checked against this one rule at the edge (400 `invalid_characters`), and
 * the one kind of input that must never be refused (a correctly signed Stripe event) is made
 * storable instead.
 */
export function isStorableText(value: string): boolean {
  return value.isWellFormed() && !value.includes('\u0000');
}

/** The replacement of an unstorable character, as a UTF-8 decoder does for a broken sequence. */
const REPLACEMENT = '\ufffd';

/**
 * The first string (value or key) in a JSON value that is not storable, as a path such as
 * `items.0.price` (the empty path is the value itself); undefined when all are. Recursion is bounded
 * by the body parser's depth limit.
 */
export function firstUnstorablePath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : path;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    if (!isStorableText(key)) return childPath;
    const found = firstUnstorablePath(child, childPath);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * A copy of a JSON value in which every unstorable character of every string and key is replaced
 * by U+FFFD, with how many strings had to change (0: the value is returned as it is).
 */
export function toStorableJson<T>(value: T): { value: T; replaced: number } {
  // The common case (nothing to replace) is found without copying anything.
  if (firstUnstorablePath(value) === undefined) return { value, replaced: 0 };
  let replaced = 0;
  const fix = (s: string): string => {
    if (isStorableText(s)) return s;
    replaced++;
    return s.toWellFormed().replaceAll('\u0000', REPLACEMENT);
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return fix(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([k, child]) => [fix(k), walk(child)]));
  };
  const fixed = walk(value) as T;
  return replaced === 0 ? { value, replaced } : { value: fixed, replaced };
}

const BACKSLASH_U = Buffer.from('\\u');

/**
 * `toStorableJson` of a value parsed from the JSON text `text`, without walking it when the text has
 * no `\u` escape: only an escape can put a NUL (a raw control character is not JSON) or an unpaired
 * surrogate (UTF-8 cannot encode one; the decoder turns broken bytes into U+FFFD) into a parsed string.
 */
export function toStorableParsedJson<T>(text: Buffer, value: T): { value: T; replaced: number } {
  return text.includes(BACKSLASH_U) ? toStorableJson(value) : { value, replaced: 0 };
}
