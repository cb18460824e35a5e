import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock';
import { LoopbackMidiSystem, soundingNotes } from './loopback';
import { OutputBus } from './output';
import { metronomeClicks } from '@shared/transport/transport';
import { Scheduler } from './scheduler';
import { NoteStream } from './stream';
import { note, sequence } from './testing';

function rig(opts: { latencyMs?: number; program?: number; channel?: number } = {}) {
  const clock = new FakeClock(1000);
  const system = new LoopbackMidiSystem(clock);
  system.addOutput('Synth');
  const bus = new OutputBus();
  bus.setPort(system.openOutput('Synth'));
  bus.latencyMs = opts.latencyMs ?? 0;
  const scheduler = new Scheduler({ clock, bus, prerollMs: 0, program: opts.program, channel: opts.channel });
  const ons = () => system.log.filter((e) => (e.bytes[0] & 0xf0) === 0x90 && e.bytes[2] > 0);
  const offs = () => system.log.filter((e) => (e.bytes[0] & 0xf0) === 0x80);
  return { clock, system, bus, scheduler, ons, offs };
}

describe('Scheduler', () => {
  it('sends note-ons and note-offs at their times, at the sequence tempo', () => {
    const { clock, scheduler, ons, offs } = rig();
    scheduler.load(sequence([note(60, 0, 1), note(64, 1, 1.5), note(67, 2.5, 4)], 120));
    scheduler.play();
    clock.advance(3000);
    expect(ons().map((e) => [e.bytes[1], e.sentMs])).toEqual([
      [60, 1000],
      [64, 1500],
      [67, 2250],
    ]);
    expect(offs().map((e) => [e.bytes[1], e.sentMs])).toEqual([
      [60, 1500],
      [64, 1750],
      [67, 3000],
    ]);
  });

  it('sends note-offs before note-ons that share their time', () => {
    const { clock, scheduler, system } = rig();
    scheduler.load(sequence([note(60, 0, 1), note(60, 1, 2), note(64, 1, 2)]));
    scheduler.play();
    clock.advance(1200);
    const at1500 = system.log.filter((e) => e.sentMs === 1500).map((e) => e.bytes[0] & 0xf0);
    expect(at1500).toEqual([0x80, 0x90, 0x90]);
  });

  it('does not drift over ten minutes of sixteenth notes', () => {
    const { clock, scheduler, ons, system } = rig();
    const notes = [];
    for (let i = 0; i < 10 * 60 * 2 * 4; i++) notes.push(note(60 + (i % 12), i / 4, i / 4 + 0.2));
    scheduler.load(sequence(notes, 120));
    const ends: string[] = [];
    scheduler.onEnd((why) => ends.push(why));
    scheduler.play();
    clock.advance(10 * 60 * 1000 + 1000);
    const sent = ons();
    expect(sent).toHaveLength(notes.length);
    let worst = 0;
    sent.forEach((e, i) => (worst = Math.max(worst, Math.abs(e.sentMs - (1000 + i * 125)))));
    expect(worst).toBeLessThan(1e-6);
    expect(sent[sent.length - 1].sentMs).toBeCloseTo(1000 + 599_875, 6);
    expect(ends).toEqual(['finished']);
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
  });

  it('sends earlier by the output latency offset and gives the program change first', () => {
    const { clock, scheduler, system } = rig({ latencyMs: 30, program: 40, channel: 2 });
    scheduler.load(sequence([note(60, 0, 1), note(62, 1, 2)]));
    scheduler.play();
    clock.advance(2000);
    expect(system.log[0].bytes).toEqual([0xc2, 40]);
    const ons = system.log.filter((e) => e.bytes[0] === 0x92);
    expect(ons.map((e) => e.sentMs)).toEqual([1000, 1500]);
    expect(ons.map((e) => e.atMs)).toEqual([1000, 1500]);
    // Nothing was sent before play was called: the first note waits out the latency instead.
  });

  it('re-times queued notes when the tempo changes', () => {
    const { clock, scheduler, ons } = rig();
    scheduler.load(sequence([note(60, 0, 1), note(62, 1, 2), note(64, 2, 3), note(65, 3, 4)], 120));
    scheduler.play();
    clock.advance(750); // halfway through beat 2 (beat 1.5)
    scheduler.setTempo(60); // 1000 ms per beat from here
    clock.advance(5000);
    expect(ons().map((e) => e.sentMs)).toEqual([1000, 1500, 1750 + 500, 1750 + 1500]);
  });

  it('loops a region, cutting notes at the loop end', () => {
    const { clock, scheduler, ons, offs, system } = rig();
    scheduler.load(sequence([note(60, 0, 1), note(62, 1, 3), note(64, 3, 4)]));
    scheduler.setLoop({ start: 0, end: 2 });
    scheduler.play();
    clock.advance(3100);
    expect(ons().map((e) => [e.bytes[1], e.sentMs])).toEqual([
      [60, 1000],
      [62, 1500],
      [60, 2000],
      [62, 2500],
      [60, 3000],
      [62, 3500],
      [60, 4000],
    ]);
    expect(offs().find((e) => e.bytes[1] === 62)!.sentMs).toBe(2000);
    scheduler.stop();
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
  });

  it('plays a note already held where playback starts, from there (note chase, as the synth in the window does)', () => {
    const { clock, scheduler, ons, offs } = rig();
    scheduler.load(sequence([note(55, 0, 4), note(60, 0, 1), note(62, 1, 2)], 120));
    scheduler.play(1.5);
    clock.advance(2000);
    expect(ons().map((e) => [e.bytes[1], e.sentMs])).toEqual([
      [55, 1000],
      [62, 1000],
    ]);
    expect(offs().map((e) => [e.bytes[1], e.sentMs])).toEqual([
      [62, 1250],
      [55, 2250],
    ]);
  });

  it('sends metronome clicks on the percussion channel, not reported as notes of the take', () => {
    const { clock, scheduler, system } = rig({ channel: 1 });
    const sent: string[] = [];
    scheduler.onSent((e) => sent.push(`${e.kind} ${e.pitch}`));
    scheduler.load(sequence([note(60, 0, 2)], 120));
    scheduler.setMetronome(metronomeClicks(2, 1, 4));
    scheduler.play();
    clock.advance(1500);
    const ons = system.log.filter((e) => (e.bytes[0] & 0xf0) === 0x90).map((e) => [e.bytes[0] & 0x0f, e.bytes[1], e.sentMs]);
    expect(ons).toEqual([
      [1, 60, 1000],
      [9, 76, 1000],
      [9, 77, 1500],
    ]);
    expect(sent).toEqual(['on 60', 'off 60']);
    scheduler.stop();
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
  });

  it('reports the playhead position, through loop wraps', () => {
    const { clock, scheduler } = rig();
    scheduler.load(sequence([note(60, 0, 8)]));
    scheduler.setLoop({ start: 1, end: 3 });
    scheduler.play();
    clock.advance(500);
    expect(scheduler.position()).toBeCloseTo(1);
    clock.advance(1250); // beat 3.5 unrolled -> 1.5 in the loop
    expect(scheduler.position()).toBeCloseTo(1.5);
    scheduler.stop();
    expect(scheduler.position()).toBeCloseTo(1.5);
  });

  it('plays a stream while it grows, and lets the music wait for late notes', () => {
    const { clock, scheduler, ons } = rig();
    const stream = new NoteStream();
    scheduler.load(stream);
    stream.append(note(60, 0, 0.5));
    scheduler.play();
    clock.advance(100);
    stream.append(note(62, 0.5, 1)); // on time (due at 1250)
    clock.advance(600); // now 1700: the note at beat 1 (due 1500) has not arrived yet
    stream.append(note(64, 1, 1.5));
    stream.append(note(65, 1.5, 2));
    clock.advance(100);
    stream.end();
    const ended: string[] = [];
    scheduler.onEnd((w) => ended.push(w));
    clock.advance(2000);
    expect(ons().map((e) => [e.bytes[1], e.sentMs])).toEqual([
      [60, 1000],
      [62, 1250],
      [64, 1700],
      [65, 1950],
    ]);
    expect(scheduler.lateNotes).toBe(1);
    expect(ended).toEqual(['finished']);
  });

  it('retriggers a key struck again while it still sounds, and keeps the later note-off', () => {
    const { clock, scheduler, system } = rig();
    scheduler.load(sequence([note(60, 0, 2), note(60, 1, 1.5)]));
    scheduler.play();
    clock.advance(2000);
    const msgs = system.log.filter((e) => e.bytes[1] === 60).map((e) => [e.bytes[0] & 0xf0, e.sentMs]);
    expect(msgs).toEqual([
      [0x90, 1000],
      [0x80, 1500],
      [0x90, 1500],
      [0x80, 1750],
    ]);
  });

  it('stop and seek silence every sounding note first (note-offs, then CC123 and CC120)', () => {
    const { clock, scheduler, system } = rig({ channel: 3 });
    scheduler.load(sequence([note(60, 0, 4), note(64, 0, 4), note(67, 1, 4)]));
    scheduler.play();
    clock.advance(600);
    const before = system.log.length;
    scheduler.seek(0.5);
    // Three note-offs (in any order), then All Notes Off and All Sound Off on the channel used...
    const tail = system.log.slice(before).map((e) => e.bytes);
    expect(tail.slice(0, 3).map((b) => b.join()).sort()).toEqual(['131,60,0', '131,64,0', '131,67,0']);
    expect(tail.slice(3, 5)).toEqual([
      [0xb3, 123, 0],
      [0xb3, 120, 0],
    ]);
    // ...then the notes held at beat 0.5 sound again from there (note chase); 67 starts later.
    expect(tail.slice(5)).toEqual([
      [0x93, 60, 100],
      [0x93, 64, 100],
    ]);
    clock.advance(300);
    expect(soundingNotes(system.log, { honourAllNotesOff: false }).length).toBeGreaterThan(0);
    scheduler.stop();
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
    const after = system.log.length;
    clock.advance(5000);
    expect(system.log.length).toBe(after);
  });

  it('a channel change while notes sound sends their note-offs to the channel they started on', () => {
    const { clock, scheduler, system } = rig();
    scheduler.load(sequence([note(60, 0, 2), note(62, 1, 2)]));
    scheduler.play();
    clock.advance(100);
    scheduler.channel = 3;
    clock.advance(2000);
    expect(system.log.slice(0, 4).map((e) => e.bytes.slice(0, 2))).toEqual([
      [0x90, 60],
      [0x93, 62],
      [0x80, 60],
      [0x83, 62],
    ]);
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
  });
});
