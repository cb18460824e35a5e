import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { tempoMarks } from './tempo-marks';
import { readMidi } from '../midi/read';

describe('tempoMarks', () => {
  it('keeps a real change of tempo at its bar and drops rubato within a bar', () => {
    const rubato = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5].map((t, i) => ({ time: t, qpm: i % 2 ? 104 : 96 }));
    const slower = [{ time: 8, qpm: 60 }, { time: 12, qpm: 60 }];
    expect(tempoMarks([...rubato, ...slower], 4)).toEqual([{ time: 0, qpm: 100 }, { time: 8, qpm: 60 }]);
  });

  it('a one-bar blip is not a mark; a steady tempo is one mark', () => {
    expect(tempoMarks([{ time: 0, qpm: 120 }, { time: 4, qpm: 90 }, { time: 8, qpm: 120 }], 4)).toEqual([{ time: 0, qpm: 120 }]);
    expect(tempoMarks([{ time: 0, qpm: 88 }], 3)).toEqual([{ time: 0, qpm: 88 }]);
  });

  it('thins a piano-midi.de rubato map to a few marks', () => {
    const file = '/work/shared/corpora/midi_piano_midi_de/bach_846.mid';
    if (!fs.existsSync(file)) {
      console.log(`skipped: ${file} is not here`);
      return;
    }
    const tempos = readMidi(fs.readFileSync(file)).sequence.tempos;
    const marks = tempoMarks(tempos, 4);
    expect(tempos.length).toBeGreaterThan(300);
    expect(marks.length).toBeGreaterThanOrEqual(1);
    expect(marks.length).toBeLessThan(tempos.length / 10);
  });
});
