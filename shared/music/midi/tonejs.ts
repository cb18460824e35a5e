/**
 * @tonejs/midi ships a UMD build for Node ("main") and ESM for bundlers ("module"). Node's ESM
 * loader cannot see named exports in the UMD file, so take Midi from whichever shape we got.
 */
import * as tonejs from '@tonejs/midi';

type TonejsModule = typeof tonejs;
const mod: TonejsModule = (tonejs as unknown as { Midi?: unknown }).Midi ? tonejs : (tonejs as unknown as { default: TonejsModule }).default;

export const Midi: TonejsModule['Midi'] = mod.Midi;
export type Midi = InstanceType<TonejsModule['Midi']>;
