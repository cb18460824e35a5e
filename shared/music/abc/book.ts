/**
 * Splits an ABC file (a "tune book") into tunes and normalizes one tune's text. This is line-level
 * bookkeeping, not ABC parsing: abcjs does the parsing. We split ourselves so that every tune keeps
 * its line number in the file and one broken tune cannot take the rest of the file with it.
 */

export interface AbcTuneText {
  /** 0-based index of the tune in the file. */
  index: number;
  /** The X: reference number as written ('' when absent). */
  x: string;
  /** 1-based line of the tune's first line (its X: line) in the file. */
  line: number;
  /** The tune's text, from its X: line to the blank line or next X: that ends it. */
  text: string;
}

export interface AbcBook {
  /** Field lines of the file header (before the first X:), applied to every tune as ABC 2.1 says. */
  header: string[];
  tunes: AbcTuneText[];
}

const FIELD = /^([A-Za-z]):/;

/** Splits a file into tunes. Text without any X: line is taken as one tune (typed ABC). */
export function splitAbcBook(text: string): AbcBook {
  const lines = text.split(/\r\n|\r|\n/);
  const tunes: AbcTuneText[] = [];
  const header: string[] = [];
  let current: { x: string; line: number; lines: string[] } | null = null;
  let sawX = false;
  const flush = () => {
    if (current) {
      while (current.lines.length && current.lines[current.lines.length - 1].trim() === '') current.lines.pop();
      tunes.push({ index: tunes.length, x: current.x, line: current.line, text: current.lines.join('\n') + '\n' });
      current = null;
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^X:/.test(l)) {
      flush();
      sawX = true;
      current = { x: l.slice(2).trim(), line: i + 1, lines: [l] };
    } else if (current) {
      // A blank line ends a tune in ABC 2.1; tunes without one are ended by the next X:.
      if (l.trim() === '') {
        // A blank line inside the header, or right after K: before any music, is a typo more often
        // than an empty tune followed by free text (abc2midi reads on too).
        const onlyHeader = current.lines.every((c) => FIELD.test(c) || c.startsWith('%') || c.trim() === '');
        // Kept as a comment so that abcjs does not end the tune there and line numbers stay right.
        if (onlyHeader) current.lines.push('%');
        else flush();
      } else current.lines.push(l);
    } else if (!sawX && (FIELD.test(l) || l.startsWith('%%'))) {
      header.push(l);
    }
  }
  flush();
  if (!sawX && text.trim() !== '') {
    // Typed ABC without X:. Keep line numbers right by reporting the text's own first line.
    return { header: [], tunes: [{ index: 0, x: '', line: 0, text: 'X:1\n' + text.replace(/\r\n|\r/g, '\n').replace(/\s+$/, '') + '\n' }] };
  }
  return { header, tunes };
}

/** Field letters of ABC 2.1 (plus '+' continuation); other letters (Y:, E: ...) are extensions. */
const KNOWN_FIELDS = /^[ABCDFGHIKLMmNOPQRrSsTUVWwXZ+]:/;

/**
 * Prepares a tune's text for abcjs without changing its line count:
 * - free text in the header (a note that ran on without its N:, a stray quote) makes abcjs start
 *   the music early and read the following L:/M: as changes; ABC 2.1 allows only fields,
 *   comments and directives before K:, so such lines become comments;
 * - fields with letters ABC 2.1 does not define (the Nottingham books' Y:ABBCB) are read by abcjs
 *   as notes; the standard says to ignore them, so they become comments too.
 */
export function commentOutHeaderText(tuneText: string): string {
  const lines = tuneText.split('\n');
  let inBody = false;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    if (/^K:/.test(l)) {
      inBody = true;
      continue;
    }
    if (l.trim() === '' || l.startsWith('%')) continue;
    const field = FIELD.test(l);
    if (field && !KNOWN_FIELDS.test(l) && !(inBody && /^[A-Ga-g]:/.test(l))) lines[i] = '%' + l;
    else if (!inBody && !field) lines[i] = '%' + l;
  }
  return lines.join('\n');
}

/**
 * Marks that sit on the wrong side of a bar line, line by line in the body (columns stay right;
 * chord symbols and !decorations! are left alone):
 * - a broken-rhythm mark with a bar line after it (cAA>|| B/) pairs two notes of different bars,
 *   which ABC does not allow; abcjs would still dot the first note and overfill its bar, abc2midi
 *   ignores the mark. We drop it (replaced by a space);
 * - a tuplet mark written before the bar line of the notes it groups ((3|:aba) is ignored by
 *   abcjs; abc2midi and players apply it to the notes after the bar, so it moves there (|:(3aba).
 */
export function dropBrokenRhythmBeforeBars(tuneText: string): string {
  const lines = tuneText.split('\n');
  let inBody = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^K:/.test(l)) {
      inBody = true;
      continue;
    }
    if (!inBody || FIELD.test(l) || l.startsWith('%') || !/[<>]|\(\d[|:[\]]/.test(l)) continue;
    lines[i] = l
      .split(/("[^"]*"|![^!]*!)/)
      .map((part, k) =>
        k % 2
          ? part
          : part
              .replace(/[<>]+(?=\s*(?:[|:]|\[\d))/g, (m) => ' '.repeat(m.length))
              .replace(/(\(\d(?::\d*){0,2})(?![:\d])((?:\[\||:*\|+\]?:*|::)+)/g, (_, tuplet: string, bar: string) => bar + tuplet),
      )
      .join('');
  }
  return lines.join('\n');
}

/** Header fields from the file header that are safe to copy into each tune (not X, not K, not text). */
export function inheritedHeader(header: string[]): string[] {
  return header.filter((l) => /^(%%|[LMQRIU]:)/.test(l));
}

const KEEP_HEADER = new Set(['X', 'T', 'M', 'L', 'Q', 'K', 'P', 'V']);
const KEEP_BODY = new Set(['K', 'M', 'L', 'Q', 'P', 'V']);

/** Removes a trailing % comment (not an escaped \%). */
function stripComment(line: string): string {
  const i = line.search(/(^|[^\\])%/);
  if (i < 0) return line;
  return line.slice(0, line[i] === '%' ? i : i + 1);
}

/**
 * The normalized text of one tune: what the char and token encodings learn from. Comments,
 * directives, lyrics, notes and other text fields are dropped; X becomes 1; only the first title is
 * kept; lines continued with a backslash are joined; abc2win's '!' line-end marks are removed; line
 * endings are LF and trailing spaces are trimmed. The music (and the repeat structure) is unchanged.
 */
export function normalizeAbc(tuneText: string): string {
  const out: string[] = [];
  let inBody = false;
  let sawTitle = false;
  let pending = '';
  for (const raw of tuneText.split(/\r\n|\r|\n/)) {
    if (raw.startsWith('%%')) continue;
    let line = stripComment(raw).replace(/\s+$/, '');
    if (line === '') continue;
    const field = FIELD.exec(line);
    // In the body, 'A:|' is a note before a repeat sign, not an area field.
    if (field && !(inBody && /^[A-Ga-g]:[|:]/.test(line))) {
      const f = field[1];
      if (f === 'X') {
        out.push('X:1');
        continue;
      }
      if (!inBody) {
        if (!KEEP_HEADER.has(f)) continue;
        if (f === 'T') {
          if (sawTitle) continue;
          sawTitle = true;
        }
        const value = line.slice(2).trim();
        out.push(`${f}:${value}`);
        if (f === 'K') inBody = true;
        continue;
      }
      if (!KEEP_BODY.has(f)) continue;
      out.push(`${f}:${line.slice(2).trim()}`);
      continue;
    }
    if (!inBody) continue; // free text in the header
    // abc2win used '!' as a line break; an odd count means it is not part of a !decoration!.
    if (line.endsWith('!') && (line.match(/!/g) ?? []).length % 2 === 1) line = line.slice(0, -1).replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1);
      continue;
    }
    out.push(pending + line);
    pending = '';
  }
  if (pending) out.push(pending);
  return out.join('\n') + '\n';
}
