// Typed accessors over decoded form parameters. They raise the same errors Stripe raises
// for a wrong type, so a handler reads `p.int('quantity')` and never validates by hand.
import { errors } from './errors.js';
import type { FormObject, FormValue } from './form.js';

/**
 * The parameter paths a handler asked for (whether the request had them or not), as templates:
 * `items[][price]` (an array's elements share `[]`), `currency_options[*][unit_amount]` (any key).
 * A path is a `leaf` when its whole value was taken (a string, `metadata`, a list of strings), a
 * `node` when only its keys were looked at. http/strict-params.ts compares them with the route's
 * declared list (tests) or collects them to make that list (scripts/modeled-params.mjs).
 */
export type ReadLog = Map<string, 'leaf' | 'node'>;

export class Params {
  constructor(
    readonly raw: FormObject,
    private readonly prefix = '',
    private readonly reads?: ReadLog,
    private readonly template = prefix,
  ) {}

  private name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }

  private path(key: string): string {
    return this.template ? `${this.template}[${key}]` : key;
  }

  /** Records that the handler asked for `key`; a leaf read wins over a node read of the same path. */
  private note(key: string, kind: 'leaf' | 'node'): void {
    if (!this.reads) return;
    const path = this.path(key);
    if (kind === 'leaf' || !this.reads.has(path)) this.reads.set(path, kind);
  }

  has(key: string): boolean {
    this.note(key, 'node');
    return this.raw[key] !== undefined;
  }

  /** The raw value (a string, an object or an array), for a handler that branches on its shape. */
  value(key: string): FormValue | undefined {
    this.note(key, 'node');
    return this.raw[key];
  }

  /** The keys of a hash whose keys are data (`currency_options[usd]`), each as a Params of its own. */
  entries(key?: string): [string, Params][] {
    const obj = key === undefined ? this : this.obj(key);
    if (!obj) return [];
    return Object.keys(obj.raw).map((k) => {
      const v = obj.raw[k];
      if (typeof v !== 'object' || Array.isArray(v)) throw errors.invalid(`Invalid object`, obj.name(k));
      return [k, new Params(v, obj.name(k), obj.reads, obj.path('*'))];
    });
  }

  /** The same parameters with `extra` set over them, for a handler that passes them on (reads are still recorded). */
  with(extra: FormObject): Params {
    return new Params({ ...this.raw, ...extra }, this.prefix, this.reads, this.template);
  }

  /** Stripe treats an empty string as "unset" for nullable fields. */
  isEmpty(key: string): boolean {
    this.note(key, 'node');
    return this.raw[key] === '';
  }

  str(key: string): string | undefined {
    this.note(key, 'leaf');
    const v = this.raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw errors.invalid(`Invalid string: ${this.name(key)}`, this.name(key));
    return v;
  }

  reqStr(key: string): string {
    const v = this.str(key);
    if (v === undefined || v === '') throw errors.missing(this.name(key));
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      throw errors.invalid(`Invalid ${this.name(key)}: must be one of ${allowed.join(', ')}`, this.name(key));
    }
    return v as T;
  }

  int(key: string): number | undefined {
    const v = this.str(key);
    if (v === undefined || v === '') return undefined;
    if (!/^-?\d+$/.test(v)) throw errors.invalid(`Invalid integer: ${v}`, this.name(key), 'parameter_invalid_integer');
    return Number(v);
  }

  num(key: string): number | undefined {
    const v = this.str(key);
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw errors.invalid(`Invalid decimal: ${v}`, this.name(key));
    return n;
  }

  bool(key: string): boolean | undefined {
    const v = this.str(key);
    if (v === undefined || v === '') return undefined;
    if (v !== 'true' && v !== 'false') throw errors.invalid(`Invalid boolean: ${v}`, this.name(key));
    return v === 'true';
  }

  obj(key: string): Params | undefined {
    this.note(key, 'node');
    const v = this.raw[key];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw errors.invalid(`Invalid object`, this.name(key));
    return new Params(v, this.name(key), this.reads, this.path(key));
  }

  list(key: string): Params[] | undefined {
    this.note(key, 'node');
    const v = this.raw[key];
    if (v === undefined || v === '') return undefined;
    const arr: FormValue[] = Array.isArray(v) ? v : typeof v === 'object' ? Object.values(v) : [];
    if (!Array.isArray(v) && typeof v !== 'object') throw errors.invalid(`Invalid array`, this.name(key));
    return arr.map((item, i) => {
      if (typeof item !== 'object' || Array.isArray(item)) throw errors.invalid(`Invalid object`, `${this.name(key)}[${i}]`);
      return new Params(item, `${this.name(key)}[${i}]`, this.reads, `${this.path(key)}[]`);
    });
  }

  strings(key: string): string[] | undefined {
    this.note(key, 'leaf');
    const v = this.raw[key];
    if (v === undefined) return undefined;
    if (v === '') return [];
    if (typeof v === 'string') return [v];
    const arr = Array.isArray(v) ? v : Object.values(v);
    return arr.map((s, i) => {
      if (typeof s !== 'string') throw errors.invalid(`Invalid string`, `${this.name(key)}[${i}]`);
      return s;
    });
  }

  /** `metadata[k]=v` merged into `current`; an empty value deletes the key, an empty `metadata` clears it. */
  metadata(key = 'metadata', current: Record<string, string> = {}): Record<string, string> {
    this.note(key, 'leaf');
    const v = this.raw[key];
    if (v === undefined) return current;
    if (v === '') return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw errors.invalid('Invalid metadata', this.name(key));
    const next = { ...current };
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string') throw errors.invalid('Invalid metadata value', `${this.name(key)}[${k}]`);
      if (val === '') delete next[k];
      else next[k] = val;
    }
    return next;
  }
}
