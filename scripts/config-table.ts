/**
 * Prints docs/training.md's config reference table from the field table (src/train/config-fields.ts),
 * or with --write replaces the table in docs/training.md. tests/train/config.test.ts checks the doc
 * lists every field with its flag and default.
 */
import { readFileSync, writeFileSync } from 'node:fs';

import { CONFIG_FIELDS, formatFieldValue } from '../src/train/config.js';

const range = (f: (typeof CONFIG_FIELDS)[number]): string => {
  if (f.type === 'enum')
    return ` (${f.choices.map((c) => `'${c}'`).join(', ')}${
      f.aliases
        ? `; also ${Object.entries(f.aliases)
            .map(([a, c]) => `'${a}' for '${c}'`)
            .join(', ')}`
        : ''
    })`;
  if (f.type === 'int' || f.type === 'number' || f.type === 'schedule')
    return ` (${f.min === Number.MIN_VALUE ? '> 0' : f.min}…${f.max === Infinity || f.max === Number.MAX_SAFE_INTEGER ? '' : f.max}${
      f.type === 'number' && f.unset !== undefined ? `, or '${f.unset}'` : ''
    })`;
  return '';
};
const table = [
  '| field | flag | default | what |',
  '|---|---|---|---|',
  ...CONFIG_FIELDS.map((f) => `| \`${f.path}\` | \`${f.flag}\` | \`${formatFieldValue(f, f.default)}\` | ${f.doc}${range(f)} |`),
].join('\n');

if (process.argv.includes('--write')) {
  const file = new URL('../docs/training.md', import.meta.url);
  const doc = readFileSync(file, 'utf8');
  const start = doc.indexOf('| field | flag | default | what |');
  if (start < 0) throw new Error('docs/training.md has no config reference table');
  let end = doc.indexOf('\n\n', start);
  if (end < 0) end = doc.length;
  writeFileSync(file, doc.slice(0, start) + table + doc.slice(end));
  console.log(`docs/training.md: ${CONFIG_FIELDS.length} fields`);
} else console.log(table);
