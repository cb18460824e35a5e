/** The Node-only part of the music core: reading corpora from the file system. */
export { loadCorpus, expandCorpusPaths, type Corpus, type LoadCorpusOptions } from './corpus/files';
export { Abc2midi, findAbc2midi, compareMelodies, compareFileWithAbc2midi, neutralizeForAbc2midi } from './abc/abc2midi';
