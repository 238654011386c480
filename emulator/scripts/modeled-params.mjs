// Writes each API route's declared list of modeled parameters (the third argument of
// `r.add(method, pattern, [...], handler)` in src/resources/*.ts) from what its handler was seen
// reading (http/strict-params.ts):
//
//   rm -rf /tmp/reads && mkdir /tmp/reads
//   STRIPE_EMULATOR_RECORD_READS=/tmp/reads npm test -- emulator/test   # and any suite that calls the emulator
//   node emulator/scripts/modeled-params.mjs /tmp/reads [--replace]
//
// While recording, the emulator refuses no known parameter, so every handler sees (and reads) what
// the tests send. By default the recorded reads are added to the lists already written (a suite
// run covers some branches only); `--replace` writes exactly what was recorded, for a recording of
// every suite. Under Jest the emulator fails any request whose handler reads a parameter outside its
// list, so a list missing a read cannot go unnoticed.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const ADD = /(\br\.add\(\s*'([A-Z]+)',\s*'([^']+)',\s*)(\[(?:\s*'[^']*',?)*\s*\])/g;

const [dir, ...flags] = process.argv.slice(2);
if (!dir) throw new Error('usage: node scripts/modeled-params.mjs <reads dir> [--replace]');
const replace = flags.includes('--replace');

/** route → set of leaf templates. */
const recorded = new Map();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
  for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
    if (!line) continue;
    const { route, leaves } = JSON.parse(line);
    const set = recorded.get(route) ?? new Set();
    for (const l of leaves) set.add(l);
    recorded.set(route, set);
  }
}

/** A list as the source writes it: one line when short, else wrapped under the call's indentation. */
function format(list, indent) {
  const items = list.map((s) => `'${s}'`);
  const one = `[${items.join(', ')}]`;
  if (one.length <= 100) return one;
  const lines = [];
  let cur = '';
  for (const it of items) {
    if (cur && cur.length + it.length + 2 > 120) {
      lines.push(cur);
      cur = '';
    }
    cur += (cur ? ' ' : '') + `${it},`;
  }
  if (cur) lines.push(cur);
  return `[\n${lines.map((l) => `${indent}  ${l}`).join('\n')}\n${indent}]`;
}

let changed = 0;
for (const name of readdirSync(join(pkgRoot, 'src/resources')).filter((f) => f.endsWith('.ts'))) {
  const file = join(pkgRoot, 'src/resources', name);
  const text = readFileSync(file, 'utf8');
  const out = text.replace(ADD, (all, head, method, pattern, array, offset) => {
    const existing = replace ? [] : [...array.matchAll(/'([^']*)'/g)].map((m) => m[1]);
    const list = [...new Set([...existing, ...(recorded.get(`${method} ${pattern}`) ?? [])])].sort();
    const indent = text.slice(text.lastIndexOf('\n', offset) + 1, offset).match(/^\s*/)[0];
    return `${head}${format(list, indent)}`;
  });
  if (out !== text) {
    writeFileSync(file, out);
    changed++;
  }
}
console.log(`${recorded.size} routes recorded; ${changed} files written`);
