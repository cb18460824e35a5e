import { describe, expect, it } from 'vitest';
import { searchBook } from './search';
import type { BookTune } from '@shared/ipc/channels/music';

const tune = (index: number, x: string, title: string, rhythm = 'jig', key = 'G', alsoKnownAs: string[] = []): BookTune => ({ index, x, title, alsoKnownAs, rhythm, meter: '6/8', key, line: index * 10 + 1 });
const BOOK = [
  tune(0, '1', 'The Kesh'),
  tune(1, '2', 'Out on the Ocean'),
  tune(2, '12', 'Banish Misfortune', 'jig', 'Dmix'),
  tune(3, '21', "Drowsy Maggie", 'reel', 'Edor', ['Maggie Brown']),
  tune(4, '30', 'Kesh Jig, The second'),
  tune(5, '40', 'Fáinne Geal an Lae', 'reel', 'D'),
];

describe('searchBook', () => {
  it('is the whole book for an empty search', () => {
    expect(searchBook(BOOK, '  ').map((t) => t.x)).toEqual(['1', '2', '12', '21', '30', '40']);
  });
  it('finds words of any title, titles that begin with them first', () => {
    expect(searchBook(BOOK, 'kesh').map((t) => t.x)).toEqual(['30', '1']);
    expect(searchBook(BOOK, 'maggie brown').map((t) => t.x)).toEqual(['21']);
    expect(searchBook(BOOK, 'ocean out').map((t) => t.x)).toEqual(['2']); // every word, in any order
    expect(searchBook(BOOK, 'mag').map((t) => t.x)).toEqual(['21']); // the beginning of a word
    expect(searchBook(BOOK, 'ocean kesh')).toHaveLength(0);
  });
  it('finds an X: number exactly, the rhythm and the key; accents and case do not matter', () => {
    expect(searchBook(BOOK, '12').map((t) => t.title)).toEqual(['Banish Misfortune']);
    expect(searchBook(BOOK, 'X:21').map((t) => t.title)).toEqual(['Drowsy Maggie']);
    expect(searchBook(BOOK, 'reel').map((t) => t.x)).toEqual(['21', '40']);
    expect(searchBook(BOOK, 'reel edor').map((t) => t.x)).toEqual(['21']);
    expect(searchBook(BOOK, 'FAINNE').map((t) => t.x)).toEqual(['40']);
  });
});
