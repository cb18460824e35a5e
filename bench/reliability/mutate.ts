/**
 * The mutators live beside the readers they fuzz (shared/music/testing/mutate.ts), so that the
 * reliability suite and shared/music's own fuzz test mutate files the same way. Re-exported here
 * for the suite's other steps (rng).
 */
export * from '@shared/music/testing/mutate';
