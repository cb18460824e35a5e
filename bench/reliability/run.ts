/**
 * The reliability suite: `npx tsx bench/reliability/run.ts [--quick] [--only a,b] [--soak-minutes N]
 * [--seed N] [--json] [--repro DIR] [--replay FILE]`. Prints one figure per line (`name value [unit]`, or JSON lines
 * with --json), then one verdict line per criterion, and exits 1 if a criterion failed.
 *
 * Steps: mid, abc (mutated files through the importers), ws (malformed WebSocket frames through a
 * real serve on loopback), ipc (the same junk into the dispatch behind Electron's IPC), midi (ports
 * failing mid-note), crash (SIGKILL during library writes), train-crash (SIGKILL while the engine
 * trains, then resume), soak (train + generate + play for N minutes).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSeeds } from './seeds';
import { judge } from './fuzz-case';
import { fuzzImporters, type FuzzResult } from './fuzz-import';
import { fuzzDispatch, fuzzWebSocket } from './ws-fuzz';
import { runMidiFailures } from './midi-fail';
import { killTraining, killWriters } from './crash';
import { soak } from './soak';
import { attackAutosave, attackCorpusAdd, attackEngineLimits, attackFiles, attackIds, attackServer, type AttackResult } from './attacks';

const STEPS = ['mid', 'abc', 'ws', 'ipc', 'attacks', 'midi', 'crash', 'train-crash', 'soak'] as const;
type Step = (typeof STEPS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    only: { type: 'string' },
    'soak-minutes': { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    repro: { type: 'string' },
    replay: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`Usage: npx tsx bench/reliability/run.ts [--quick] [--only ${STEPS.join(',')}] [--soak-minutes N] [--seed N] [--json] [--repro DIR]`);
  process.exit(0);
}
if (values.replay) {
  // One saved failing input through its importer, with the time it took.
  const file = path.resolve(values.replay);
  const kind = file.endsWith('.abc') ? 'abc' : 'mid';
  const data = kind === 'abc' ? fs.readFileSync(file, 'utf8') : new Uint8Array(fs.readFileSync(file));
  const t0 = performance.now();
  const verdict = judge({ kind, index: 0, seedName: file, ops: [], data });
  console.log(`${file}: ${JSON.stringify(verdict)} in ${(performance.now() - t0).toFixed(0)} ms`);
  process.exit(0);
}
const quick = !!values.quick;
const only = values.only ? (values.only.split(',') as Step[]) : [...STEPS];
for (const s of only) if (!STEPS.includes(s)) throw new Error(`unknown step "${s}" (steps: ${STEPS.join(', ')})`);
const runSeed = Number(values.seed ?? 1);
const reproDir = values.repro ?? path.join(os.tmpdir(), 'seedsong-reliability');
const soakMinutes = Number(values['soak-minutes'] ?? (quick ? 1 : 30));

// The counts per step, as bench/reliability/README.md lists them (full / --quick).
const COUNTS = {
  full: { files: 20_000, frames: 10_000, calls: 20_000, midiTrials: 3000, kills: 50, trainKills: 10, hostileRequests: 2000, projectSizes: [5000, 10_000, 15_000, 20_000], corpusTunes: 6000, floods: 5 },
  quick: { files: 2000, frames: 10_000, calls: 10_000, midiTrials: 300, kills: 10, trainKills: 3, hostileRequests: 300, projectSizes: [5000, 10_000], corpusTunes: 2000, floods: 2 },
};
const N = quick ? COUNTS.quick : COUNTS.full;

const verdicts: { criterion: string; ok: boolean; detail: string }[] = [];
function figure(name: string, value: number | string | boolean | null, unit = '', note = ''): void {
  const v = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1)) : String(value);
  if (values.json) console.log(JSON.stringify({ figure: name, value, unit: unit || undefined, note: note || undefined }));
  else console.log(`${name} ${v}${unit ? ' ' + unit : ''}${note ? `  (${note})` : ''}`);
}
function criterion(name: string, ok: boolean, detail: string): void {
  verdicts.push({ criterion: name, ok, detail });
}
function note(line: string): void {
  if (values.json) console.log(JSON.stringify({ note: line }));
  else console.log(`# ${line}`);
}

function importFigures(r: FuzzResult): void {
  const k = `import.${r.kind}`;
  figure(`${k}.files`, r.cases);
  figure(`${k}.accepted`, r.accepted);
  if (r.kind === 'abc') figure(`${k}.partly-read`, r.partial, '', 'some tunes read, others refused with typed errors');
  figure(`${k}.rejected-typed`, r.rejected);
  for (const [code, n] of Object.entries(r.codes).sort()) figure(`${k}.code.${code}`, n);
  figure(`${k}.crashes`, r.crashes);
  figure(`${k}.untyped-rejections`, r.untyped);
  figure(`${k}.invalid-notes`, r.badOutput, '', 'accepted, but notes break the NoteSequence rules');
  figure(`${k}.hangs-over-2s`, r.hangs);
  figure(`${k}.killed-after-2.5s`, r.killed);
  figure(`${k}.p50`, r.p50Ms, 'ms');
  figure(`${k}.p99`, r.p99Ms, 'ms');
  figure(`${k}.max`, r.maxMs, 'ms');
  figure(`${k}.seconds`, r.seconds, 's', r.stoppedEarly ? 'time budget ran out before the full count' : '');
  for (const f of r.failures.slice(0, 5)) note(`${r.kind} case ${f.index}: ${f.outcome}: ${f.message.split('\n')[0].slice(0, 160)}${f.repro ? ` -> ${f.repro}` : ''}`);
  const target = quick ? 2000 : 20_000;
  criterion(`${r.kind}: >= ${target} files, 0 crashes, 0 hangs > 2 s, every rejection typed, valid notes`, r.cases >= target && r.crashes === 0 && r.hangs === 0 && r.untyped === 0 && r.badOutput === 0, `${r.cases} files, ${r.crashes} crashes, ${r.hangs} hangs, ${r.untyped} untyped, ${r.badOutput} invalid`);
}

const started = performance.now();
note(`reliability suite${quick ? ' (quick)' : ''}: steps ${only.join(', ')}; seed ${runSeed}; failing inputs go to ${reproDir}`);

if (only.includes('mid') || only.includes('abc')) {
  const seeds = loadSeeds();
  note(`importer seeds: ${seeds.source}`);
  for (const kind of ['mid', 'abc'] as const) {
    if (!only.includes(kind)) continue;
    importFigures(await fuzzImporters({ kind, count: N.files, runSeed, reproDir, budgetMs: (quick ? 5 : 25) * 60_000 }));
  }
}

if (only.includes('ws')) {
  const r = await fuzzWebSocket({ frames: N.frames, runSeed });
  figure('ws.frames', r.frames);
  figure('ws.answered', r.answered);
  figure('ws.unanswered', r.unanswered);
  figure('ws.error-frames', r.errorFrames, '', 'not JSON, not a call, binary');
  figure('ws.refused-results', r.refusedResults, '', 'typed Result errors: invalid_request etc.');
  figure('ws.ok-results', r.okResults);
  figure('ws.busy', r.busy);
  figure('ws.internal-errors', r.internalErrors, '', 'handlers that threw something untyped');
  figure('ws.oversized-closed-1009', r.oversizedClosed);
  figure('ws.unexpected-closes', r.unexpectedCloses);
  figure('ws.prototype-polluted', r.polluted);
  figure('ws.http-probes-refused', `${r.httpRefused}/${r.httpProbes}`);
  figure('ws.healthy-after', r.healthy);
  figure('ws.p99-answer', r.p99AnswerMs, 'ms');
  figure('ws.seconds', r.seconds, 's');
  criterion('ws: >= 10,000 malformed frames, each answered, server healthy, nothing polluted', r.frames >= 10_000 && r.unanswered === 0 && r.unexpectedCloses === 0 && r.healthy && !r.polluted && r.internalErrors === 0 && r.httpRefused === r.httpProbes, `${r.frames} frames, ${r.unanswered} unanswered, ${r.unexpectedCloses} unexpected closes, ${r.internalErrors} internal`);
}

if (only.includes('ipc')) {
  const r = await fuzzDispatch({ calls: N.calls, runSeed });
  figure('ipc.calls', r.calls);
  figure('ipc.refused-typed', r.refused);
  figure('ipc.ok', r.ok);
  figure('ipc.internal-errors', r.internal);
  figure('ipc.threw', r.threw);
  figure('ipc.prototype-polluted', r.polluted);
  figure('ipc.seconds', r.seconds, 's');
  criterion('ipc: malformed calls answered with typed Results, none thrown', r.threw === 0 && r.internal === 0 && !r.polluted, `${r.calls} calls, ${r.threw} threw, ${r.internal} internal`);
}

if (only.includes('attacks')) {
  // Issue #18: what a hostile page or process on the same machine, a big project and odd files broke.
  const results: AttackResult[] = [
    await attackServer({ requests: N.hostileRequests, runSeed }),
    await attackAutosave({ sizes: N.projectSizes }),
    await attackCorpusAdd({ tunes: N.corpusTunes }),
    await attackIds(),
    await attackFiles(),
    await attackEngineLimits({ floods: N.floods }),
  ];
  for (const a of results) {
    figure(`attacks.${a.name}.tried`, a.tried);
    figure(`attacks.${a.name}.held`, a.held);
    for (const [k, v] of Object.entries(a.figures)) figure(`attacks.${a.name}.${k}`, v);
    figure(`attacks.${a.name}.seconds`, a.seconds, 's');
    for (const f of a.failures.slice(0, 5)) note(`attacks.${a.name}: ${f}`);
    criterion(`attacks.${a.name}: every input handled as issue #18 asks`, a.tried > 0 && a.held === a.tried, `${a.held}/${a.tried} held`);
  }
}

if (only.includes('midi')) {
  const r = runMidiFailures({ trials: N.midiTrials, runSeed });
  figure('midi.trials', r.trials);
  figure('midi.notes', r.notes);
  figure('midi.failed-sends', r.failedSends);
  figure('midi.exceptions', r.exceptions);
  figure('midi.hung-after-end', r.hungAfterEnd, 'notes', 'port healthy again, no panic pressed');
  figure('midi.hung-after-panic', r.hungAfterPanic, 'notes', 'synth honours All Notes Off');
  figure('midi.hung-after-panic-strict', r.hungAfterPanicStrict, 'notes', 'synth needs a note-off per key');
  for (const [mode, m] of Object.entries(r.byMode)) figure(`midi.${mode}.hung-after-end/panic/strict`, `${m.hungAfterEnd}/${m.hungAfterPanic}/${m.hungAfterPanicStrict}`, '', `${m.trials} trials`);
  if (r.firstException) note(r.firstException);
  figure('midi.seconds', r.seconds, 's');
  criterion('midi: ports failing mid-note leave 0 hung notes', r.exceptions === 0 && r.hungAfterEnd === 0 && r.hungAfterPanic === 0 && r.hungAfterPanicStrict === 0, `after end ${r.hungAfterEnd}, after panic ${r.hungAfterPanic}, strict ${r.hungAfterPanicStrict}, ${r.exceptions} exceptions`);
}

if (only.includes('crash')) {
  const r = await killWriters({ kills: N.kills, runSeed });
  figure('crash.kills', r.kills);
  figure('crash.models-lost', r.modelsLost);
  figure('crash.writes-before-kills', r.writes);
  figure('crash.model-load-failures', r.modelLoadFailures);
  figure('crash.checkpoints-checked', r.checkpointsChecked);
  figure('crash.checkpoint-load-failures', r.checkpointLoadFailures);
  figure('crash.leftover-temp-files', r.leftovers);
  figure('crash.seconds', r.seconds, 's');
  for (const f of r.failures.slice(0, 5)) note(f);
  criterion(`crash: ${N.kills} SIGKILLs during library writes, every model and checkpoint loads`, r.kills === N.kills && r.modelsLost === 0 && r.modelLoadFailures === 0 && r.checkpointLoadFailures === 0, `${r.kills} kills, ${r.modelsLost} lost, ${r.modelLoadFailures + r.checkpointLoadFailures} load failures`);
}

if (only.includes('train-crash')) {
  const r = await killTraining({ kills: N.trainKills, runSeed });
  if (r.skipped) {
    note(`train-crash skipped: ${r.skipped}`);
    criterion('train-crash: engine killed while training, resumes', false, r.skipped);
  } else {
    figure('train-crash.kills', r.kills);
    figure('train-crash.checkpoints-seen', r.checkpointsSeen);
    figure('train-crash.load-failures', r.loadFailures);
    figure('train-crash.resumed', r.resumed);
    figure('train-crash.seconds', r.seconds, 's');
    for (const f of r.failures.slice(0, 5)) note(f);
    criterion('train-crash: engine killed while training; model loads and training resumes', r.loadFailures === 0 && r.resumed, `${r.kills} kills, ${r.loadFailures} load failures, resumed ${r.resumed}`);
  }
}

if (only.includes('soak')) {
  note(`soak: ${soakMinutes} min of training while generating and playing`);
  const r = await soak({ minutes: soakMinutes });
  if (r.skipped) {
    note(`soak skipped: ${r.skipped}`);
    criterion('soak', false, r.skipped);
  } else {
    figure('soak.minutes', r.minutes, 'min');
    figure('soak.training-runs', r.trainingRuns);
    figure('soak.training-steps', r.trainingSteps);
    figure('soak.training-epochs', r.trainingEpochs);
    figure('soak.checkpoints', r.checkpoints);
    figure('soak.takes-engine', r.engineTakes);
    figure('soak.takes-in-process', r.localTakes);
    figure('soak.notes-played', r.notesPlayed);
    figure('soak.hung-notes', r.hungNotes);
    figure('soak.late-notes', r.lateNotes);
    figure('soak.generate-p50', r.generateP50Ms, 'ms');
    figure('soak.generate-p99', r.generateP99Ms, 'ms');
    const first = r.samples[0];
    const last = r.samples[r.samples.length - 1];
    figure('soak.heap-start/end', `${first.heapMb.toFixed(1)}/${last.heapMb.toFixed(1)}`, 'MB');
    figure('soak.rss-start/end', `${first.rssMb.toFixed(1)}/${last.rssMb.toFixed(1)}`, 'MB');
    figure('soak.engine-rss-start/end', `${first.engineRssMb?.toFixed(1)}/${last.engineRssMb?.toFixed(1)}`, 'MB');
    figure('soak.heap-growth', r.heapGrowthMb, 'MB', 'last quarter minus first quarter');
    figure('soak.engine-rss-growth', r.engineRssGrowthMb ?? 'n/a', 'MB');
    figure('soak.tf-tensors-growth', r.tensorGrowth, 'tensors', 'this process, model cached, between the first and last sample');
    figure('soak.tf-tensors-after-release', last.tensors, 'tensors');
    figure('soak.errors', r.errors.length);
    for (const e of r.errors.slice(0, 5)) note(e);
    figure('soak.engine-tf-tensors-start/end', `${first.engineTensors ?? 'n/a'}/${last.engineTensors ?? 'n/a'}`, 'tensors', "the engine process's tf.memory()");
    figure('soak.engine-tf-bytes-start/end', `${first.engineTensorMb?.toFixed(1) ?? 'n/a'}/${last.engineTensorMb?.toFixed(1) ?? 'n/a'}`, 'MB');
    figure('soak.engine-tf-tensors-growth', r.engineTensorGrowth ?? 'n/a', 'tensors', 'lowest of the last quarter minus lowest of the first');
    figure('soak.engine-heap-growth', r.engineHeapGrowthMb ?? 'n/a', 'MB');
    const engineLeak = r.engineTensorGrowth === null || r.engineTensorGrowth > 0;
    criterion(
      'soak: no hung notes, no tensor leak (here or in the engine), no errors',
      r.hungNotes === 0 && r.tensorGrowth <= 0 && last.tensors === 0 && !engineLeak && r.errors.length === 0,
      `${r.hungNotes} hung, tensor growth ${r.tensorGrowth} here / ${r.engineTensorGrowth ?? 'unmeasured'} in the engine, ${r.errors.length} errors, heap growth ${r.heapGrowthMb.toFixed(1)} MB`,
    );
  }
}

figure('suite.seconds', (performance.now() - started) / 1000, 's');
for (const v of verdicts) {
  if (values.json) console.log(JSON.stringify({ verdict: v.ok ? 'pass' : 'FAIL', ...v }));
  else console.log(`${v.ok ? 'PASS' : 'FAIL'} ${v.criterion}: ${v.detail}`);
}
process.exit(verdicts.every((v) => v.ok) ? 0 : 1);
