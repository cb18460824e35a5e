// abcjs ships no types for its internal modules; this is the one the quick ABC reader uses.
declare module 'abcjs/src/const/key-accidentals.js' {
  /** The accidentals of a key signature (e.g. 'Dmix'), or null for a key abcjs does not know. */
  export default function keyAccidentals(key: string): { acc: 'sharp' | 'flat'; note: string }[] | null;
}
