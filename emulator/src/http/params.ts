// Typed accessors over decoded form parameters. They raise the same errors Stripe raises
// for a wrong type, so a handler reads `p.int('quantity')` and never validates by hand.
import { errors } from './errors.js';
import type { FormObject, FormValue } from './form.js';

export class Params {
  constructor(readonly raw: FormObject, private readonly prefix = '') {}

  private name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  /** Stripe treats an empty string as "unset" for nullable fields. */
  isEmpty(key: string): boolean {
    return this.raw[key] === '';
  }

  str(key: string): string | undefined {
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
    const v = this.raw[key];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw errors.invalid(`Invalid object`, this.name(key));
    return new Params(v, this.name(key));
  }

  list(key: string): Params[] | undefined {
    const v = this.raw[key];
    if (v === undefined || v === '') return undefined;
    const arr: FormValue[] = Array.isArray(v) ? v : typeof v === 'object' ? Object.values(v) : [];
    if (!Array.isArray(v) && typeof v !== 'object') throw errors.invalid(`Invalid array`, this.name(key));
    return arr.map((item, i) => {
      if (typeof item !== 'object' || Array.isArray(item)) throw errors.invalid(`Invalid object`, `${this.name(key)}[${i}]`);
      return new Params(item, `${this.name(key)}[${i}]`);
    });
  }

  strings(key: string): string[] | undefined {
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
