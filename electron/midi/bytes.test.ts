import { describe, expect, it } from 'vitest';
import { MidiParser, type ChannelMessage, isNoteOff, isNoteOn } from './bytes';

function parse(chunks: number[][]): { out: ChannelMessage[]; parser: MidiParser } {
  const out: ChannelMessage[] = [];
  const parser = new MidiParser((m) => out.push(m));
  chunks.forEach((c, i) => parser.push(c, i));
  return { out, parser };
}

describe('MidiParser', () => {
  it('expands running status across chunks and reads velocity-0 note-on as note-off', () => {
    const { out } = parse([[0x90, 60, 100, 62], [90], [60, 0, 62, 0]]);
    expect(out.map((m) => [m.type, m.data1, m.data2])).toEqual([
      [0x90, 60, 100],
      [0x90, 62, 90],
      [0x90, 60, 0],
      [0x90, 62, 0],
    ]);
    expect(isNoteOn(out[0])).toBe(true);
    expect(isNoteOff(out[2])).toBe(true);
    expect(out[1].timeMs).toBe(1);
  });

  it('lets realtime bytes through the middle of a message', () => {
    const { out, parser } = parse([[0x91, 0xf8, 64, 0xfe, 70]]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 0x90, channel: 1, data1: 64, data2: 70 });
    expect(parser.stats.system).toBe(2);
  });

  it('counts truncated messages and stray data bytes instead of misreading them', () => {
    const { out, parser } = parse([[60, 100], [0x90, 60], [0x80, 60, 0], [0xc0, 5, 6]]);
    expect(parser.stats.strayBytes).toBe(2);
    expect(parser.stats.truncated).toBe(1);
    expect(out.map((m) => [m.type, m.data1])).toEqual([
      [0x80, 60],
      [0xc0, 5],
      [0xc0, 6],
    ]);
  });

  it('survives a SysEx flood, even one cut off by a note, and keeps nothing of it', () => {
    const flood: number[] = [0xf0];
    for (let i = 0; i < 200_000; i++) flood.push(i & 0x7f);
    const { out, parser } = parse([flood, [1, 2, 3, 0xf7, 0x90, 60, 100], [0xf0, 1, 2, 0x80, 60, 0]]);
    expect(out.map((m) => [m.type, m.data1, m.data2])).toEqual([
      [0x90, 60, 100],
      [0x80, 60, 0],
    ]);
    expect(parser.stats.sysex).toBe(2);
  });

  it('skips system common data bytes and drops running status after them', () => {
    const { out, parser } = parse([[0x90, 60, 100, 0xf2, 1, 2, 61, 100]]);
    expect(out).toHaveLength(1);
    expect(parser.stats.strayBytes).toBe(2);
  });

  it('never throws on random bytes', () => {
    const parser = new MidiParser(() => {});
    let x = 12345;
    for (let i = 0; i < 20000; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      parser.push([x & 0xff, (x >> 8) & 0xff], i);
    }
    expect(parser.stats.messages).toBeGreaterThan(0);
  });
});
