/**
 * The ABC sampling grammar lives in the music core now (shared/music/grammar/abc-grammar.ts,
 * issue #14 item 4). This re-export keeps imports of the old path working (other branches); new
 * code imports the music core directly.
 */
export * from '@shared/music/grammar/abc-grammar';
