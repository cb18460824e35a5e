/**
 * Warms the ABC reader up before a corpus is read (issue #20: a parsing thread spent about half
 * its CPU time in V8's optimizing compiler). V8 compiles a hot function with the types it has
 * seen so far; the first tune that takes a branch not seen before (a chord, a tuplet, an ending,
 * a tune abcjs reads) throws that code away, and the function is compiled again, at ~100 ms of
 * CPU for the reader's larger functions, dozens of times per corpus. Reading a few short tunes that
 * take every branch the corpora take, before any function is hot, lets V8 compile each function
 * once with everything it will meet. The tunes are made up here (no corpus is shipped); they were
 * written against V8's block coverage of the reader over the corpora (every branch the corpora
 * take in abc/, tune/ and book.ts, but a handful, is taken by these tunes too). Measured
 * (bench/music-parse.ts --workers 0): parse of the 16,163 corpus tunes 15.5 -> 13.2 cpu-s; the
 * tunes take ~60 ms.
 */
import { parseAbc, type AbcReadOptions } from './read';
import { quickParseAbc } from './quick';

/** Tunes the quick reader reads (quick.ts). */
export const QUICK_TEXT = `R:reel
A:Somewhere

X:1
T:Priming Reel, The
T:a subtitle

C:trad.
Some free text in the header
Y:ABAB
R:reel
M:4/4
L:1/8
Q:1/4=120
P:AB
K:D
P:A
|:"D"FA (3ABA "G"B2 d>e|"A7"f2 ^g_a =b/c'/d' z2|[DF][EG]- [EG]2 {ga}f>g a<b|1 d4 D,2 C,,2:|2 d2 A2 d4||
P:B
|:~g3 Tf !trill!e2 .d2[|"^above""_below"c/2d/e/ f3/ g//a// x2 !p!B,2 !crescendo(!c2 d !crescendo)!e|[1,3 A4- A2 z2:|[2 a8|]
w:some words here
L:1/16
c2d2 % a comment
!fermata!|"fine"|| A2(B2c2)d2 A(Bc) A-A A >B A>>B c<<d|z16|A^^B__c ^A=A A^B|
"<left"">right""C""G"A8 .(AB) A>z A/3 * B8:|]
X:2
T:Second, The
M:6/8
L:1/8
Q:3/8=100
K:Ador
P:AB
P:A
"Am"e2 A A2B|(3cBA G AB d|e>d ^c BAG|{/g}A3 A3::
c'2 b a<g =f|e_e d [ceg]2 z|(3:2:3ABc (3::2de f|a3- a3:|]
P:B
(3:2ABc (3A2Bc d>|e f|(3|:abc def :||
[!accent!Ac]>[Bd] [Ac]3/2 [Ac]2- [Ac]2 [A-c]c|(3[Ac][Bd][ce] [^Ac]2) [Ac]2 [Ac]2<[Bd]|A>[Bd] z2- z|
{^g}A {g a}B {g})c z2|G2-A =F2-^F|:abc def:||:abc def:|]
X:3
T:Third
M:3/4
L:1/4
Q:"Allegro" 1/4=90
K:Bb Mix
z/ B/|B, C D|E/ F/ G A|B2 z|B>A B<G|D3|D/>E/ F G/<A/|"C#m7b5"B B' b,|
!segno!
P:C
abc|def||abc:|]
X:4
T:Fourth
M:C|
K:F#m
P:A
AB ce|AB c2|
P:B
cB A2|]
X:5
T:Fifth
M:C
P:AB
L:1/16
Q:60
K:C
CDEF GABc d2e2f2g2|c8 z8|z16|x4 y4 C4 D4|]
X:6
T:Sixth, A
M:none
K:Eb
CDEF GABc
E F G \\
A B c | d e f |!
abc|
def|]
X:7
T:Seventh
M:2/4
P:XY
K:G
P:A
G,A,B,C|DE F>G|!>!A2 !fermata!B2|ML c2 Hd2|uBvA RGSF|OE JD Pc|2 C4|]
X:8
T:Eighth
M:9/8
K:Dm
(5ABcde (3ABc d3|(2ef (4fgab g3|!mf!A>>B c<<d efg|[AA]2 d :|] B :|] c|]
X:9
T:Ninth
M:7/8
L:1/8
Q:100
K:A
 abc def
|g2 a2 ] b2 [|] A0 A2, z-z A -A "G" A [Ac]2>[Bd] [Ac]2|A2 | 2 A|
A B \\ % continued
C D A>
B2 ^
{ g}A2 ) B|) A2-A2-A2 A>-B|:AB|1 c:|2 d:||:ef:|
abc|
::def:|
abc||
|def|
X:10
T:Tenth
M:3/4
L:1/8
P:(AB)2 C
K:D
P:A
|:A2 B2 c2-|c2 d2 e2:|
P:B
|:f2 e2 d2-|[1 d2 c2 B2:|[2 d2 c2 A2||
P:C
A2B2 [1c2|[2 d2 e2|f6
X:11
T:Eleventh
K:C
CDEF GABc
`;

/** Tunes abcjs reads (voices, body fields, directives): they warm abcjs and the paths its trees take. */
export const ABCJS_TEXT = `X:9
T:Ninth
%%score (S A)
M:4/4
L:1/8
K:G
V:S
%%MIDI transpose 2
%%MIDI beat 100 90 80 1
%%MIDI nobeataccents
%%MIDI vol 90
%%MIDI volinc 10
|:GABc dedB|[K:D]z2A2F2 [M:3/4]D2|[K:G][K:C]CD[Q:1/4=90]dcBA G2:|
V:A
|:D2D2 B,2D2|F2A2 A2|DDDD D2:|
X:10
T:Tenth
M:6/8
K:Em clef=treble
E3 G2A|B3 [L:1/16]e4d4|
K:A
M:2/4
T:Part two
ABce|a4|]
M:C
abcd|z4|
M:C|
abcd|]
X:11
T:Eleventh
M:4/4
P:A2B
K:D
P:A
[V:1]A2 B2 Z2|[K:G]c4:|
P:B
%%MIDI program 2
B4|]
X:12
T:Twelfth
M:2/4
K:none
V:1
|:AB [M:3/4]cde:|
V:2
|:AB [M:3/4]cde:|
`;

/**
 * Bodies (after a plain header) that the quick reader declines, one way each: a decline is an
 * exception, and V8 compiles the reader again the first time one is thrown where none was before.
 */
const DECLINED = [
  'K:D xyz\nA|', 'M:4/4 bad\nK:D\nA|', 'Q:very fast\nK:D\nA|', 'U:T=!trill!\nK:D\nA|', 'K:D\nA4 \\\nM:3/4\nB3|',
  'K:D\nB3|][x A2|', 'K:D\nA2 {g}|', 'K:D\n^1A|', 'K:D\n(3:x ABc|', 'K:D\n[A z]|', 'K:D\nA .-B|', 'K:D\nA|\nP:a\\b\nB|',
  'K:D\nA|\nK:G\nB|', 'K:D\nA|\nT:x\\y\nB|', 'K:D\nA [K:G] B|', 'K:D\n%%MIDI program 1\nA|', 'K:D\n+trill+A|',
  'K:D\nZ2|', 'K:D\nA & B|', 'K:D\n!style=x!A|', 'K:D\n!foo!A|', 'K:D\n"@x"A|', 'K:D\n"A\\"A|', 'K:D\n{(g}A|', 'K:D\n{z}A|', 'K:D\n-A|',
  'K:D\n(3(3ABC|', 'K:D\nA ][x|', 'K:D\nA :B|', 'K:D\nX|', 'K:D\n{g>a}A|', 'K:D\n{>g}A|', 'K:D\n!foo A|', 'T:x\\y\nK:D\nA|', 'K:D\n(3::xABC|', 'K:D\n[A(B]|', 'K:D\n[!foo!A]|', 'K:D\n"text|',
];

export const DECLINED_TEXTS: readonly string[] = DECLINED;
let primed = false;

/** Reads the priming tunes once per thread (a few milliseconds); later calls do nothing. */
export function primeAbcReader(opts: Omit<AbcReadOptions, 'file'> = {}): void {
  if (primed) return;
  primed = true;
  parseAbc(QUICK_TEXT, opts);
  parseAbc(ABCJS_TEXT, opts);
  // The richest quick tunes again, read by abcjs this time (a V: line sends them there).
  parseAbc(QUICK_TEXT.split('\nX:').filter((t) => /^(?:X:)?[129]\n/.test(t)).map((t) => (t.startsWith('X:') ? t : 'X:' + t).replace(/\nK:(.*)\n/, '\nK:$1\nV:1\n')).join('\n'), opts);
  for (const body of DECLINED) quickParseAbc(`X:1\nM:4/4\nL:1/8\n${body}\n`);
}
