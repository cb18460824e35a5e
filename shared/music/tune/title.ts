/**
 * Titles of takes: a take is called after the tune it continues and its number ("The Kesh, take 3"),
 * or by its number alone, and its ABC carries that title as its T:. Used by the studio and by
 * `seedsong generate`. Pure.
 */

/** A take's title: the seed's title and its number, or only its number when there was no seed. */
export function takeTitle(seedTitle: string | null | undefined, number: number): string {
  const base = seedTitle?.replace(/,\s*take \d+$/i, '').trim();
  return base ? `${base}, take ${number}` : `Take ${number}`;
}

/** The T: of an ABC text (the first one in its header), or null. */
export function titleOfAbc(abc: string): string | null {
  const m = /^T:[ \t]*(.*?)\s*$/m.exec(abc);
  return m && m[1] ? m[1] : null;
}

/** The ABC with `title` as its T: line: the first T: replaced, or one added after X:. */
export function withTitle(abc: string, title: string): string {
  const line = `T:${title.replace(/[\r\n]+/g, ' ')}`;
  if (/^T:.*$/m.test(abc)) return abc.replace(/^T:.*$/m, () => line);
  if (/^X:.*$/m.test(abc)) return abc.replace(/^(X:.*)$/m, (x) => `${x}\n${line}`);
  return `${line}\n${abc}`;
}
