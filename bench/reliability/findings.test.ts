/**
 * Bugs the reliability suite found in code this folder does not own. Open ones are pinned as
 * `it.fails`: each passes while the bug is there and FAILS once it is fixed (then make it a plain
 * `it`, as the fixed ones are). The inputs are mutations of the suite's built-in tunes, not corpus
 * files.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readMidi, parseAbc } from '@shared/music/index';
import { LoopbackMidiSystem, OutputBus, FakeClock, soundingNotes } from '../../electron/midi/index';
import { checkSequence } from './fuzz-case';

const midi = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('shared/music importers', () => {
  // A track chunk that starts with an endless variable-length delta (0xff...): tonejs reads it as a
  // huge tick count and the notes come out with negative start times.
  it('readMidi never returns notes that start before 0 (mid case 3139)', () => {
    const data = midi('TVRoZAAAAAYAAQACAeBNVHJrAAAAJwD/AwpUd28gVm9pY2VzAP9ZAgABAP9RAwehIAD/WAQEAhgIAP8vAE1UcmsAAAB4/////////wD/AwpUd28gVm9pY2VzAMAAAJBFaYNggEUAAJBHX4FwgEcAAJBIVYFwgEgAAJBKX4NggEoAAJBMX4FwgEwAAJBIVYFwgEgAAJBFaYNggEUAAJBHX4EggEcAAJBIVYEggEgAAJBKVYEggEoAAJBMX4dAgEwAAP8vAA==');
    let problem: string | null = null;
    try {
      problem = checkSequence(readMidi(data, { file: 'case-3139.mid' }).sequence);
    } catch {
      problem = null; // a typed rejection would be fine too
    }
    expect(problem).toBeNull();
  });

  it('readMidi never returns notes that start before 0 (mid case 728: bytes inserted in a delta)', () => {
    const data = midi('TVRoZAAAAAYAAQACAeBNVHJrAAAAJwD/AwpUd28gVm9pY2VzAP9ZAgABAP9RAwehIAD/WAQEAhgIAP8vAE1UcmsAAAB4AP8DClR3byBWb2ljZXMAwAAAkEVpg2CARQAAkEdf+rv/gXCARwAAkEhVgXCASAAAkEpfg2CASgAAkExfgXCATAAAkEhVgXCASAAAkEVpg2CARQAAkEdfgSCARwAAkEhVgSCASAAAkEpVgSCASgAAkExfh0CATAAA/y8A');
    let problem: string | null = null;
    try {
      problem = checkSequence(readMidi(data, { file: 'case-728.mid' }).sequence);
    } catch {
      problem = null;
    }
    expect(problem).toBeNull();
  });

  // Found by the suite and fixed in shared/music (dd79a3e); kept as regressions.
  // abcjs expanded an absurd unit length into millions of beats before parseAbc's own limit looked.
  it('parseAbc refuses an absurd unit note length within 2 s', () => {
    const t0 = performance.now();
    const r = parseAbc('X:1\nL:99999/1\nK:C\nABcd|\n', { file: 'long.abc' });
    expect(r.errors[0]?.code).toBe('abc-too-long');
    expect(performance.now() - t0).toBeLessThan(2000);
  }, 30_000);

  // A note length of 2^32 made V8 abort the whole process ("Fatal JavaScript invalid size
  // error"): in the studio that would be the process that opened the file. Run in a child.
  it('parseAbc survives a note length of 4294967296 (the process must not abort)', () => {
    const code = `import('./shared/music/index.ts').then((m) => { m.parseAbc('X:1\\nL:1/8\\nK:C\\nA4294967296B|\\n', { file: 'x.abc' }); console.log('survived'); })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toContain('survived');
  }, 90_000);
});

describe('shared/music importers (fixed)', () => {
  // A meter of 2^32 beats makes abcjs grow an array until V8 aborts the whole process ("Fatal
  // JavaScript invalid size error", about 20 s here): the fuzz saw it as a case over 2.5 s.
  it('parseAbc refuses M:4294967296/4 quickly instead of aborting the process (abc case 1092)', () => {
    const code = `import('./shared/music/index.ts').then((m) => { m.parseAbc('X:1\\nM:4294967296/4\\nL:1/8\\nK:D\\nFG A2 f>e | d/c/A/G/ F/G/A/B/ =c2 |\\n', { file: 'x.abc' }); console.log('survived'); })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', timeout: 10_000 });
    expect(r.stdout).toContain('survived');
  }, 30_000);
});

describe('electron/midi output', () => {
  // Voice.send forgets a key before the bus sends its note-off; when that send fails, panic no
  // longer knows the key and sends it no note-off (only CC123, which some synths ignore).
  it('a note-off that failed is sent again by panic', () => {
    const clock = new FakeClock(0);
    const sys = new LoopbackMidiSystem(clock);
    sys.addOutput('synth');
    const bus = new OutputBus();
    bus.setPort(sys.openOutput('synth'));
    const voice = bus.voice('playback');
    voice.noteOn(0, 60, 100);
    sys.failSends('synth', () => new Error('driver hiccup'));
    voice.noteOff(0, 60);
    sys.failSends('synth', undefined);
    bus.panic();
    expect(soundingNotes(sys.sent('synth'), { honourAllNotesOff: false })).toEqual([]);
  });
});
