/**
 * Opening music files in the studio: the renderer hands over the bytes of a .abc or .mid the user
 * chose or dropped (never a path) and gets back what is in it (a tune book's tunes by X: and title;
 * a MIDI file's tracks, the melody guess and its tempo map) and an opaque id; then it opens one tune
 * or a choice of tracks by that id. The studio keeps the last few opened files in memory only.
 */
import { z } from 'zod';
import { channel } from './define';
import { NoteSchema } from '../schemas';

/** Base64 characters of one opened file: 3 MB of bytes, inside one 4 MiB frame. */
export const MAX_OPEN_BASE64 = 4_000_000;
export const MAX_BOOK_TUNES = 20_000;

export const OpenedFileIdSchema = z.string().regex(/^of-[0-9a-f]{16}$/, 'opened file id: of- and 16 hex digits');
const FileNameSchema = z.string().min(1).max(200);
const Short = z.string().max(300);

export const BookTuneSchema = z.object({
  index: z.number().int().min(0),
  x: z.string().max(40),
  title: Short,
  alsoKnownAs: z.array(Short).max(20),
  rhythm: z.string().max(80),
  meter: z.string().max(40),
  key: z.string().max(80),
  line: z.number().int().min(0),
});
export type BookTune = z.infer<typeof BookTuneSchema>;

export const MidiTrackSchema = z.object({
  index: z.number().int().min(0),
  /** As a musician names it: the track's name, else its instrument, else its number. */
  label: Short,
  channel: z.number().int().min(0).max(15),
  instrument: z.string().max(80),
  notes: z.number().int().min(0),
  drums: z.boolean(),
  /** "C4-A5" (empty for a track without notes). */
  range: z.string().max(20),
  /** The bar its first note is in, from 1 (a fugue voice entering late: 35); bars before it are left out. */
  firstBar: z.number().int().min(1).optional(),
});
export type MidiTrack = z.infer<typeof MidiTrackSchema>;

const TempoSchema = z.object({ time: z.number().min(0).max(1e6), qpm: z.number().min(1).max(1000) });

export const OpenedFileSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('abc'), fileId: OpenedFileIdSchema, name: FileNameSchema, tunes: z.array(BookTuneSchema).max(MAX_BOOK_TUNES) }),
  z.object({
    kind: z.literal('midi'),
    fileId: OpenedFileIdSchema,
    name: FileNameSchema,
    /** Tracks with notes, in file order. */
    tracks: z.array(MidiTrackSchema).max(1024),
    /** The melody guess (-1 when no track has notes). */
    melodyTrack: z.number().int().min(-1),
    tempo: Short,
  }),
]);
export type OpenedFile = z.infer<typeof OpenedFileSchema>;

export const TrackChoiceSchema = z.union([z.literal('melody'), z.literal('all'), z.number().int().min(0).max(1023)]);

export const OpenedTuneSchema = z.object({
  name: FileNameSchema,
  title: Short,
  /** An ABC tune's text as its author wrote it (what the desk shows); absent for MIDI. */
  abc: z.string().max(200_000).optional(),
  notes: z.array(NoteSchema).max(50_000),
  /** The tempo map (first entry at time 0). */
  tempos: z.array(TempoSchema).min(1).max(20_000),
  meter: z.object({ numerator: z.number().int().min(1).max(64), denominator: z.number().int().min(1).max(64) }),
  key: z.object({ tonic: z.number().int().min(0).max(11), mode: z.enum(['major', 'minor', 'dorian', 'phrygian', 'lydian', 'mixolydian', 'aeolian', 'ionian', 'locrian']), accidentals: z.number().int().min(-7).max(7) }).optional(),
  /** The tempo map in words. */
  tempo: Short,
  /** What the file holds that the tune does not, one sentence each. */
  leftOut: z.array(z.string().max(600)).max(20),
  /** Notes beyond the desk's limit that were not opened. */
  cut: z.number().int().min(0).default(0),
});
export type OpenedTune = z.infer<typeof OpenedTuneSchema>;

export const musicChannels = {
  openFile: channel(
    'Read a .abc or .mid the user opened (its bytes, never a path): the tunes of a book, or the tracks and tempo map of a MIDI file',
    z.object({ name: FileNameSchema, base64: z.string().max(MAX_OPEN_BASE64) }).strict(),
    OpenedFileSchema,
  ),
  openTune: channel(
    'Open one tune of an opened file: a book tune by index, or MIDI tracks (the melody guess, one track, or all merged)',
    z.object({ fileId: OpenedFileIdSchema, tune: z.number().int().min(0).max(MAX_BOOK_TUNES).optional(), tracks: TrackChoiceSchema.optional() }).strict(),
    OpenedTuneSchema,
  ),
} as const;
