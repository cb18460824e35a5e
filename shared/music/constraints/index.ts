export { TuneConstraints, TUNE_CONSTRAINTS, TUNE_CONSTRAINT_TEXT, SECTION_BARS, initialTakeState, feed, mayEnd, type TuneConstraintName, type TuneConstraintOptions, type TakeState, type ConstraintSet } from './tune-constraints';
export { lexBody, type Sym, type LexedSym } from './reader';
