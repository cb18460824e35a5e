/**
 * Long tunes are rendered in pieces: abcjs lays out a whole tune in one go (about 1 ms per bar
 * here), so a 200-bar take would hold the window for a noticeable moment. The music is cut at
 * line ends into chunks of a few lines; each chunk gets the header fields in force where it starts
 * (meter, unit, key, tempo — including inline [K:] changes), so that it renders exactly as it
 * would inside the whole tune. The first chunk renders at once, the rest right after.
 */
export interface AbcChunk {
  text: string;
  /** 0-based line of the original text where this chunk's music starts (for mapping back). */
  firstLine: number;
}

const FIELD_LINE = /^([A-Za-z]):(.*)$/;
const CARRIED = new Set(['M', 'L', 'K', 'Q']);
const INLINE = /\[([KMLQ]):([^\]]*)\]/g;

export function splitAbc(text: string, linesPerChunk = 8): AbcChunk[] {
  const lines = text.split('\n');
  const kAt = lines.findIndex((l) => /^K:/.test(l.trim()));
  if (kAt < 0) return [{ text, firstLine: 0 }];
  const head = lines.slice(0, kAt + 1);
  const music = lines.slice(kAt + 1);
  const musicLines = music.filter((l) => l.trim() && !FIELD_LINE.test(l.trim()) && !l.trim().startsWith('%'));
  if (musicLines.length <= linesPerChunk) return [{ text, firstLine: 0 }];

  const state = new Map<string, string>();
  for (const l of head) {
    const m = l.trim().match(FIELD_LINE);
    if (m && CARRIED.has(m[1])) state.set(m[1], m[2].trim());
  }
  const x = head.find((l) => /^X:/.test(l.trim())) ?? 'X:1';
  const chunks: AbcChunk[] = [];
  let current: string[] = [];
  let count = 0;
  let start = 0;
  let header = head.join('\n');
  const flush = (at: number) => {
    if (!current.length) return;
    chunks.push({ text: `${header}\n${current.join('\n')}\n`, firstLine: start });
    current = [];
    count = 0;
    // The next chunk starts with the fields in force here.
    header = [x, ...['M', 'L', 'Q', 'K'].filter((f) => state.has(f)).map((f) => `${f}:${state.get(f)}`)].join('\n');
    start = at;
  };
  for (let i = 0; i < music.length; i++) {
    const line = music[i];
    const trimmed = line.trim();
    if (count === 0 && !current.length) start = kAt + 1 + i;
    current.push(line);
    const field = trimmed.match(FIELD_LINE);
    if (field && CARRIED.has(field[1])) state.set(field[1], field[2].trim());
    else if (trimmed && !trimmed.startsWith('%') && !field) {
      for (const m of trimmed.matchAll(INLINE)) state.set(m[1], m[2].trim());
      count++;
    }
    if (count >= linesPerChunk) flush(kAt + 2 + i);
  }
  flush(lines.length);
  return chunks;
}

/**
 * The header of a later chunk as it should look on the page: its meter and tempo were carried only
 * so that the chunk reads right, and abcjs would print them again at every cut. The meter becomes
 * `M:none` with the unit length it implied written out, the tempo goes (timings are taken at a
 * reference tempo anyway). A meter or tempo change inside the chunk's music is left alone.
 */
export function quietHeader(chunkText: string): string {
  const lines = chunkText.split('\n');
  const kAt = lines.findIndex((l) => /^K:/.test(l.trim()));
  if (kAt < 0) return chunkText;
  const head = lines.slice(0, kAt);
  const meter = head.find((l) => /^M:/.test(l.trim()))?.trim().slice(2).trim();
  const hasUnit = head.some((l) => /^L:/.test(l.trim()));
  const out = head.filter((l) => !/^[MQ]:/.test(l.trim()));
  if (!hasUnit && meter !== undefined) out.push(`L:${defaultUnit(meter)}`);
  if (meter !== undefined) out.push('M:none');
  return [...out, ...lines.slice(kAt)].join('\n');
}

/** The ABC standard's default unit length: 1/16 below a meter of 3/4 in value, else 1/8. */
function defaultUnit(meter: string): string {
  const m = meter.replace(/\s+/g, '');
  const fraction = m === 'C' || m === 'C|' ? 1 : /^\d+(\+\d+)*\/\d+$/.test(m) ? meterValue(m) : 1;
  return fraction < 0.75 ? '1/16' : '1/8';
}

function meterValue(m: string): number {
  const [num, den] = m.split('/');
  return num.split('+').reduce((s, n) => s + Number(n), 0) / Number(den);
}

/** The titles of a tune's header (its T: lines before K:), in order: the score pane shows them as text. */
export function headerTitles(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (/^K:/.test(l)) break;
    const m = /^T:(.*)$/.exec(l);
    if (m && m[1].trim()) out.push(m[1].trim());
  }
  return out;
}

/**
 * The first chunk without its header titles (T: lines before K: become comments of the same
 * length): abcjs draws a title centred on the staff in one line, so a long one (a .mid's track and
 * file name) ran off both sides of the sheet. The pane writes them above the sheet, wrapped.
 */
export function withoutHeaderTitles(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*K:/.test(lines[i])) break;
    lines[i] = lines[i].replace(/^(\s*)T:/, '$1%:');
  }
  return lines.join('\n');
}
