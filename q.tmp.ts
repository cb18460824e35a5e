import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inheritedHeader, splitAbcBook, commentOutHeaderText, dropBrokenRhythmBeforeBars } from './shared/music/abc/book';
import { quickParseAbc } from './shared/music/abc/quick';
const root = '/work/shared/corpora';
const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.abc') ? [join(d, f)] : []));
const texts: string[] = [];
for (const dir of readdirSync(root).filter((d) => d.startsWith('abc_'))) for (const f of walk(join(root, dir))) {
  const b = splitAbcBook(readFileSync(f, 'utf8')); const h = inheritedHeader(b.header);
  for (const t of b.tunes) { const nl = t.text.indexOf('\n'); texts.push(dropBrokenRhythmBeforeBars(commentOutHeaderText(h.length ? t.text.slice(0, nl + 1) + h.join('\n') + '\n' + t.text.slice(nl + 1) : t.text))); }
}
for (let r = 0; r < 4; r++) { const c0 = process.cpuUsage(); let ok = 0; for (const t of texts) if (quickParseAbc(t)) ok++; const c = process.cpuUsage(c0); console.log(ok, ((c.user + c.system) / texts.length).toFixed(1), 'cpu-us/tune'); }
