import fc from 'fast-check';

/**
 * The hostile inputs of the fuzz suite, by kind. Two families: JSON values (body fields, whole
 * bodies, webhook event fields, token claims) and URL text (path segments, query values, header
 * values), which reach the service through different parsers and so fail differently.
 */

/** JSON text placed verbatim by `toJson`: what `JSON.stringify` cannot write (10,000 levels, 1e400, an exact 2**63). */
export class RawJson {
  constructor(readonly text: string) {}
}
export type Json = null | boolean | number | string | RawJson | Json[] | { [key: string]: Json };

/** JSON text of a value, with RawJson inserted as is. Strings go through JSON.stringify, which writes NUL as \u0000 and a lone surrogate as \ud800. */
export function toJson(value: Json): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  return JSON.stringify(value);
}

export const deepArray = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
export const deepObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

/** Kinds of hostile JSON values (a body field, a webhook event field). */
export const VALUE_KINDS = ['deep-nesting', 'nul', 'lone-surrogate', 'huge-number', 'wrong-type', 'array-for-string', 'unicode', 'dot-dot', 'long-string'] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

const withInside = (inside: string) => fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}${inside}${b}`);

const UNICODE_SAMPLES = ['日本語の会社', '😀👍🏽', '\u202eevil\u202c', 'ｆｕｌｌｗｉｄｔｈ', 'e\u0301', '\ufeffbom', '\uffff', '\u{10ffff}', 'İstanbul', 'ß'.repeat(64), '\u0085\u2028\u2029', 'a\u0301\u0302\u0303\u0304'];

export const valueArbitraries: Record<ValueKind, fc.Arbitrary<Json>> = {
  'deep-nesting': fc.constantFrom(new RawJson(deepArray(10_000)), new RawJson(deepObject(10_000)), new RawJson(deepArray(100_000))),
  nul: fc.oneof(fc.constant('\u0000'), fc.constant('price_\u0000'), withInside('\u0000')),
  'lone-surrogate': fc.oneof(fc.constantFrom('\ud800', '\udfff', 'a\ud83d', '\udc00\ud800'), withInside('\ud800')),
  'huge-number': fc.constantFrom<Json>(1e300, -1e300, -1, 2 ** 63, -(2 ** 63), 2 ** 64, Number.MAX_SAFE_INTEGER + 2, 5e-324, 0.5, -0, new RawJson('9223372036854775808'), new RawJson('1e400'), new RawJson('-1e400'), new RawJson('1' + '0'.repeat(1000))),
  'wrong-type': fc.constantFrom<Json>(true, false, null, 0, 42, {}, { a: 'b' }, 'string', ''),
  'array-for-string': fc.oneof(fc.constant<Json>([]), fc.array(fc.string({ maxLength: 10 }), { minLength: 1, maxLength: 3 }), fc.constant<Json>([['nested']]), fc.constant<Json>(['price_a', 'price_b'])),
  unicode: fc.oneof(fc.constantFrom(...UNICODE_SAMPLES), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 })),
  'dot-dot': fc.constantFrom('../', '../../../../etc/passwd', '..\\..\\windows\\win.ini', '%2e%2e%2f', './.', '..'),
  'long-string': fc.constantFrom('x'.repeat(10_000), 'a'.repeat(200_000)),
};

/** Kinds of whole bodies (sent as application/json). */
export const BODY_KINDS = ['deep-nesting-body', 'json-scalar', 'invalid-utf8', '5mb-body'] as const;
export type BodyKind = (typeof BODY_KINDS)[number];

const FIVE_MB = 5 * 1024 * 1024;
let fiveMbBody: Buffer | undefined;
/** One 5 MB JSON body, built once (the suite sends it many times). */
export const fiveMegabytes = () => (fiveMbBody ??= Buffer.from(JSON.stringify({ name: 'x'.repeat(FIVE_MB) })));

export const bodyArbitraries: Record<BodyKind, fc.Arbitrary<Buffer>> = {
  'deep-nesting-body': fc.constantFrom(deepArray(10_000), deepObject(10_000), '['.repeat(10_000), `{"name":${deepArray(10_000)}}`).map((s) => Buffer.from(s)),
  'json-scalar': fc.constantFrom('[]', 'null', '42', '"text"', '1e300', 'true', '[{}]').map((s) => Buffer.from(s)),
  // Bytes that are not UTF-8: an encoded lone surrogate, an overlong NUL, a BOM of UTF-16, a cut sequence.
  'invalid-utf8': fc.constantFrom([0xed, 0xa0, 0x80], [0xc0, 0x80], [0xff, 0xfe], [0xe6, 0x97]).map((bytes) => Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bytes), Buffer.from('"}')])),
  '5mb-body': fc.constant(null).map(() => fiveMegabytes()),
};

/** Kinds of hostile URL text (path segments, query values), already percent-encoded as a client would send it. */
export const URL_KINDS = ['deep-nesting', 'nul', 'lone-surrogate', 'huge-number', 'wrong-type', 'array-for-string', 'unicode', 'dot-dot', 'long-string', 'malformed-percent'] as const;
export type UrlKind = (typeof URL_KINDS)[number];

/** Percent-encodes every byte of the UTF-8 text outside the unreserved set (a lone surrogate becomes EF BF BD, as TextEncoder writes it). */
export const percentEncode = (text: string) =>
  [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

export const urlArbitraries: Record<UrlKind, fc.Arbitrary<string>> = {
  // '[' is allowed raw in a request line; 10,000 of them also exceed Node's 16 KB header limit in the encoded form.
  'deep-nesting': fc.constantFrom('['.repeat(10_000), '%5B'.repeat(10_000), '%5B'.repeat(1000) + '%5D'.repeat(1000)),
  nul: fc.constantFrom('%00', 'a%00b', 'platform%00', 'default%00', '%00%00'),
  // %ED%A0%80 is U+D800 in (invalid) UTF-8; the raw latin1 characters put the same bytes on the wire unencoded.
  'lone-surrogate': fc.constantFrom('%ED%A0%80', 'a%ED%B0%80', '%ED%A0%80%ED%B0%80', '\xed\xa0\x80'),
  'huge-number': fc.constantFrom('1e300', '-1', '9223372036854775808', '18446744073709551616', '0x10', 'NaN', 'Infinity', '-0', '1' + '0'.repeat(400)),
  'wrong-type': fc.constantFrom('null', 'true', '%7B%7D', '%5B%5D', 'undefined', ''),
  'array-for-string': fc.constantFrom('a,b', '%5B%22a%22%5D', 'a%2Cb'),
  unicode: fc.oneof(fc.constantFrom(...UNICODE_SAMPLES).map(percentEncode), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map(percentEncode)),
  'dot-dot': fc.constantFrom('..', '..%2F..%2Fadmin', '%2E%2E', '..%2f', '.', '..%5C..%5C'),
  'long-string': fc.constantFrom('x'.repeat(501), 'y'.repeat(5000)),
  'malformed-percent': fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%80', '%FF'),
};

/** Header values a client can send (Node allows latin1, not control characters). */
export const headerArbitrary: fc.Arbitrary<{ kind: string; value: string }> = fc.constantFrom(
  { kind: 'dot-dot', value: '../../etc/passwd' },
  { kind: 'long-string', value: 'x'.repeat(8000) },
  { kind: 'nul', value: '%00' },
  { kind: 'lone-surrogate', value: '\xed\xa0\x80' },
  { kind: 'huge-number', value: '1e300' },
  { kind: 'wrong-type', value: 'null' },
  { kind: 'unicode', value: 'Ã¤Ã¶Ã¼\xff\xfe' },
  { kind: 'array-for-string', value: 'a, b' },
);

/** Odd values for a JWT claim (valid signature, hostile content). RawJson cannot be signed, so only plain values. */
export const claimArbitrary: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>('\u0000', 'FUZZ\u0000', '\ud800', 'a\udfff', 1e300, -1, 2 ** 63, true, null, ['FUZZ'], { acc: 'FUZZ' }, '', '../', '..', '日本語', 'x'.repeat(10_000)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
);
