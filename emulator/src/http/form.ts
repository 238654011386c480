// Decodes Stripe's wire format for request parameters: `application/x-www-form-urlencoded`
// with bracketed nested keys (`items[0][price]=…`, `metadata[k]=…`, `expand[]=…`).
// The official SDK sends arrays as `key[0]`, `key[1]`; hand-written clients often send `key[]`.
// Both become real arrays so handlers never see index-keyed objects.

export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

/** Splits `a[b][0][]` into `['a', 'b', '0', '']`. */
function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open < 0) return [key];
  const path = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key.slice(open)))) path.push(m[1]);
  return path;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Objects whose keys are all array positions (or were pushed with `[]`) become arrays, recursively. */
function arrayify(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) {
    return Array.isArray(value) ? value.map(arrayify) : value;
  }
  const keys = Object.keys(value);
  for (const k of keys) value[k] = arrayify(value[k]);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => value[k]);
  }
  return value;
}

export function parseForm(body: string): FormObject {
  const root: FormObject = {};
  if (!body) return root;
  // Counters for `key[]` pushes, per parent object, so each push gets a fresh position.
  const pushCounters = new WeakMap<FormObject, Map<string, number>>();
  for (const pair of body.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1));
    const path = keyPath(rawKey);
    let node: FormObject = root;
    for (let i = 0; i < path.length; i++) {
      let seg = path[i];
      if (seg === '') {
        const counters = pushCounters.get(node) ?? new Map<string, number>();
        pushCounters.set(node, counters);
        const n = counters.get('') ?? Object.keys(node).length;
        counters.set('', n + 1);
        seg = String(n);
      }
      if (i === path.length - 1) {
        node[seg] = value;
      } else {
        const next = node[seg];
        if (typeof next !== 'object' || Array.isArray(next)) node[seg] = {};
        node = node[seg] as FormObject;
      }
    }
  }
  return arrayify(root) as FormObject;
}
