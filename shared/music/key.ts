/**
 * Which key a melody is in, from its pitches alone (a played seed, a MIDI file without a key
 * signature), so the score spells it the way a musician would (F#, not ^F everywhere in D major)
 * and ABC-based encodings see a K: field like the ones they were trained on.
 */
import type { KeySignature, Mode, NoteSequence } from './types';

/**
 * The project's one table of modes: the scale steps above the tonic, how ABC writes the mode after
 * the tonic (K:ADor), the names ABC accepts for it (any case, the first three letters suffice), its
 * three-letter spelling in abc-token version 2 (K:Ador, K:Gmaj) and its family (ionian is major).
 * The engine, the ABC reader and writer and the encodings all read keys through this file.
 */
export const MODES: Record<Mode, { steps: number[]; abc: string; names: string[]; short: string; family: Mode }> = {
  major: { steps: [0, 2, 4, 5, 7, 9, 11], abc: '', names: ['', 'maj', 'major'], short: 'maj', family: 'major' },
  ionian: { steps: [0, 2, 4, 5, 7, 9, 11], abc: '', names: ['ion', 'ionian'], short: 'maj', family: 'major' },
  minor: { steps: [0, 2, 3, 5, 7, 8, 10], abc: 'm', names: ['m', 'min', 'minor'], short: 'min', family: 'minor' },
  aeolian: { steps: [0, 2, 3, 5, 7, 8, 10], abc: 'm', names: ['aeo', 'aeolian'], short: 'min', family: 'minor' },
  dorian: { steps: [0, 2, 3, 5, 7, 9, 10], abc: 'Dor', names: ['dor', 'dorian'], short: 'dor', family: 'dorian' },
  phrygian: { steps: [0, 1, 3, 5, 7, 8, 10], abc: 'Phr', names: ['phr', 'phrygian'], short: 'phr', family: 'phrygian' },
  lydian: { steps: [0, 2, 4, 6, 7, 9, 11], abc: 'Lyd', names: ['lyd', 'lydian'], short: 'lyd', family: 'lydian' },
  mixolydian: { steps: [0, 2, 4, 5, 7, 9, 10], abc: 'Mix', names: ['mix', 'mixolydian'], short: 'mix', family: 'mixolydian' },
  locrian: { steps: [0, 1, 3, 5, 6, 8, 10], abc: 'Loc', names: ['loc', 'locrian'], short: 'loc', family: 'locrian' },
};

/** The keys the studio offers to choose from (the commonest in folk tunes), as ABC writes them; read with parseKey. */
export const FOLK_KEYS: readonly string[] = ['C', 'G', 'D', 'A', 'E', 'F', 'Bb', 'Eb', 'Am', 'Em', 'Bm', 'Dm', 'Gm', 'ADor', 'EDor', 'DMix', 'GMix'];

const MAJOR_TONIC_SHARPS = [0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5]; // sharps (+) / flats (-) of the major key on each pitch class
const LETTER_PC: Record<string, number> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };

/** The key signature's sharps/flats count for a tonic and mode (e.g. A dorian -> 1 sharp). */
export function keyAccidentals(tonic: number, mode: Mode): number {
  // The relative major: A minor -> C major (tonic + 3), A dorian -> G major (tonic - 2 = +10).
  const major = (((tonic + RELATIVE_MAJOR[mode]) % 12) + 12) % 12;
  return MAJOR_TONIC_SHARPS[major];
}
/** Semitones from a mode's tonic up to its relative major's tonic. */
const RELATIVE_MAJOR: Record<Mode, number> = { major: 0, ionian: 0, minor: 3, aeolian: 3, dorian: 10, phrygian: 8, lydian: 7, mixolydian: 5, locrian: 1 };

/** The mode an ABC key's mode word names ("m", "Dor", "mixolydian", "MAJ"), or null. */
export function modeOf(word: string): Mode | null {
  const w = word.trim().toLowerCase();
  for (const [mode, m] of Object.entries(MODES) as [Mode, (typeof MODES)[Mode]][]) {
    if (m.names.includes(w)) return mode;
    // ABC: only the first three letters of a mode name count ("Dorian", "dori", "Mixo").
    if (w.length >= 3 && m.names.some((n) => n.length >= 3 && n.slice(0, 3) === w.slice(0, 3))) return mode;
  }
  return null;
}

/**
 * Reads a key as ABC writes it (the value of K:): "D", "Ador", "F#m", "Bb mixolydian", "D Major",
 * "Hp"/"HP" (Highland pipes: written without a signature, played as A mixolydian), "none"/"" (C).
 * Clef and extra accidentals after the key ("K:D clef=bass", "K:D ^g") are ignored. Null when it
 * is not a key.
 */
export function parseKey(text: string, time = 0): KeySignature | null {
  const t = text.replace(/%.*$/, '').trim();
  if (t === '' || /^none\b/i.test(t)) return { time, tonic: 0, mode: 'major', accidentals: 0 };
  if (/^hp\b/i.test(t)) return { time, tonic: 9, mode: 'mixolydian', accidentals: keyAccidentals(9, 'mixolydian') };
  const m = /^([A-Ga-g])([#b]?)\s*([A-Za-z]*)/.exec(t);
  if (!m) return null;
  const rest = t.slice(m[0].length);
  // "K:G clef=..." or "K:D ^g": the mode word is absent; "K:Gm" / "K:G minor": present.
  let mode = modeOf(m[3]);
  if (!mode && /^\s*=/.test(rest)) mode = null;
  if (!mode) {
    if (m[3] === '' || /^(clef|octave|transpose|middle|stafflines|t|m)$/i.test(m[3])) mode = 'major';
    else return null;
  }
  const tonic = (LETTER_PC[m[1].toLowerCase()] + (m[2] === '#' ? 1 : m[2] === 'b' ? -1 : 0) + 12) % 12;
  return { time, tonic, mode, accidentals: keyAccidentals(tonic, mode) };
}

/** The pitch classes of a key's scale (D major: D E F# G A B C#). */
export function signatureScale(key: Pick<KeySignature, 'tonic' | 'mode'>): Set<number> {
  return new Set(MODES[key.mode].steps.map((s) => (key.tonic + s) % 12));
}

/** The pitch classes of the diatonic scale of a signature with this many sharps (negative: flats). */
export function diatonicScale(accidentals: number): Set<number> {
  return new Set([0, 2, 4, 5, 7, 9, 11].map((pc) => (((pc + 7 * accidentals) % 12) + 12) % 12));
}

// Krumhansl-Kessler key profiles (probe-tone ratings), index 0 = tonic.
const MAJOR = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
const MINOR = [6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];
const MAJOR_SCALE = [0, 2, 4, 5, 7, 9, 11];

function correlation(weights: number[], profile: number[], tonic: number): number {
  const n = 12;
  const mw = weights.reduce((a, b) => a + b, 0) / n;
  const mp = profile.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let dw = 0;
  let dp = 0;
  for (let pc = 0; pc < n; pc++) {
    const w = weights[pc] - mw;
    const p = profile[(pc - tonic + 12) % 12] - mp;
    num += w * p;
    dw += w * w;
    dp += p * p;
  }
  return dw && dp ? num / Math.sqrt(dw * dp) : 0;
}

/**
 * The key signature that fits the notes best: first the signature whose diatonic scale leaves the
 * least note time outside it (fewer sharps/flats on a tie), then major or relative minor by the
 * Krumhansl-Kessler profiles. Hand-written because it is twenty lines and no library we have does it.
 * Undefined for a sequence with no notes.
 */
export function guessKey(seq: NoteSequence): KeySignature | undefined {
  if (seq.notes.length === 0) return undefined;
  const weights = new Array<number>(12).fill(0);
  for (const n of seq.notes) weights[n.pitch % 12] += Math.max(n.end - n.start, 1e-3);
  let best: { acc: number; outside: number; score: number } | undefined;
  for (let acc = -6; acc <= 6; acc++) {
    const tonic = (((acc * 7) % 12) + 12) % 12;
    const scale = new Set(MAJOR_SCALE.map((d) => (tonic + d) % 12));
    const outside = weights.reduce((sum, w, pc) => sum + (scale.has(pc) ? 0 : w), 0);
    const score = Math.max(correlation(weights, MAJOR, tonic), correlation(weights, MINOR, (tonic + 9) % 12));
    const better =
      !best ||
      outside < best.outside - 1e-9 ||
      (Math.abs(outside - best.outside) <= 1e-9 && (score > best.score + 1e-9 || (Math.abs(score - best.score) <= 1e-9 && Math.abs(acc) < Math.abs(best.acc))));
    if (better) best = { acc, outside, score };
  }
  const major = (((best!.acc * 7) % 12) + 12) % 12;
  const minor = (major + 9) % 12;
  const isMinor = correlation(weights, MINOR, minor) > correlation(weights, MAJOR, major);
  const tonic = isMinor ? minor : major;
  const mode = isMinor ? 'minor' : 'major';
  return { time: 0, tonic, mode, accidentals: keyAccidentals(tonic, mode) };
}
