/** A pitch as a musician reads it in a range: C4 is middle C (scientific pitch notation). */
const NAMES = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'];

export function spellPitchName(pitch: number): string {
  return `${NAMES[((pitch % 12) + 12) % 12]}${Math.floor(pitch / 12) - 1}`;
}

/** A track's range: "D4-B5", or one name when it plays one pitch. */
export function spellRange(lowest: number, highest: number): string {
  return lowest === highest ? spellPitchName(lowest) : `${spellPitchName(lowest)}-${spellPitchName(highest)}`;
}
