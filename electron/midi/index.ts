/**
 * electron/midi: MIDI ports, devices, recording seeds, playback, panic, call-and-response.
 * Pure Node code with time and hardware as parameters; the RtMidi adapter is imported lazily
 * through openRtMidi so that nothing here loads the native module until MIDI is asked for.
 */
export { realClock, FakeClock, type Clock, type Cancel } from './clock';
export { MidiParser, noteOn, noteOff, controlChange, programChange, type ChannelMessage, type ParserStats } from './bytes';
export { MidiPortError, type MidiInput, type MidiOutput, type MidiPortInfo, type MidiSystem, type OpenSystemResult, type PortKind } from './port';
export { LoopbackMidiSystem, soundingNotes, type LogEntry } from './loopback';
export { OutputBus, Voice } from './output';
export { NoteStream, NoteStreamError } from './stream';
export { Scheduler, type SchedulerOptions, type SentEvent, type SchedulerEnd } from './scheduler';
export { Recorder, type RecorderOptions, type Recording, type RecordingStats, type Meter, type RecorderState } from './recorder';
export { seedQuantizer, seedTranscription, guessKey, type SeedOptions, type TakeContext } from './seed';
export { CallAndResponse, DEFAULT_PAUSE_MS, type AnswerFn, type CallAndResponseOptions, type CallResponseState } from './call-and-response';
export { DeviceManager, VIRTUAL_PORT_NAMES, DEFAULT_OUTPUT_SETTINGS, type DeviceChoices, type DeviceEvent, type OutputSettings } from './device-manager';

/** Opens the OS MIDI system (RtMidi) on first use; never throws, says why when it cannot. */
export async function openSystemMidi(options?: import('./rtmidi').RtMidiOptions): Promise<import('./port').OpenSystemResult> {
  const { openRtMidi } = await import('./rtmidi');
  return openRtMidi(options);
}
export { PlaybackThread, ThreadedScheduler, canUseThread, type PlaybackScheduler, type SchedulerFactory, type ThreadLink } from './threaded';
