import { describe, expect, it } from 'vitest';
import { createStudioApi, type Transport } from './api';
import { importModelFolder, relativeToFolder, saveExport, toBase64 } from './files';
import { MAX_FRAME_BYTES } from './wire';
import { channels } from './contract';

/** A transport that records calls, validating each payload as the studio's dispatch would. */
function recorder(answers: Record<string, unknown>) {
  const calls: { channel: string; payload: any; size: number }[] = [];
  const transport: Transport = {
    async invoke(channel, payload) {
      const parsed = channels[channel].request.safeParse(payload);
      if (!parsed.success) return { ok: false, error: { code: 'invalid_request', message: parsed.error.message } };
      calls.push({ channel, payload, size: JSON.stringify(payload).length });
      return { ok: true, value: answers[channel] };
    },
    subscribe: () => () => {},
  };
  return { api: createStudioApi(transport), calls };
}

describe('importModelFolder', () => {
  it("sends a Seedsong model folder's own model, not its checkpoints or torchrun job", async () => {
    const { api, calls } = recorder({ stageFile: { bytes: 0 }, importModel: { id: 'm' } });
    const f = (p: string) => ({ path: p, bytes: new Uint8Array(4) });
    const r = await importModelFolder(api, 'm', [f('model.json'), f('weights-abc.bin'), f('seedsong.json'), f('checkpoints/epoch-0001/model.json'), f('checkpoints/epoch-0001/optimizer.bin'), f('torch-job/initial/model.json'), f('torch-job/job.json')]);
    expect(r.ok).toBe(true);
    expect(calls.filter((c) => c.channel === 'stageFile').map((c) => c.payload.path)).toEqual(['model.json', 'weights-abc.bin', 'seedsong.json']);
  });

  it('sends big weight files in chunks that each fit one WebSocket frame, then imports', async () => {
    const { api, calls } = recorder({ stageFile: { bytes: 0 }, importModel: { id: 'm' } });
    const weights = new Uint8Array(5_000_000).map((_, i) => i * 7);
    const progress: number[] = [];
    const r = await importModelFolder(
      api,
      'my-model',
      [
        { path: 'model.json', bytes: new TextEncoder().encode('{}') },
        { path: 'group1-shard1of1.bin', bytes: weights },
        { path: 'train.py', bytes: new Uint8Array(3) },
      ],
      (sent) => progress.push(sent),
    );
    expect(r.ok).toBe(true);
    const staged = calls.filter((c) => c.channel === 'stageFile');
    expect(staged.map((c) => c.payload.path)).not.toContain('train.py');
    const shard = staged.filter((c) => c.payload.path === 'group1-shard1of1.bin');
    expect(shard.length).toBeGreaterThan(1);
    expect(shard.map((c) => c.payload.append)).toEqual([false, ...shard.slice(1).map(() => true)]);
    for (const c of staged) expect(c.size).toBeLessThan(MAX_FRAME_BYTES - 1024);
    const joined = Buffer.concat(shard.map((c) => Buffer.from(c.payload.base64, 'base64')));
    expect(joined.equals(Buffer.from(weights))).toBe(true);
    expect(progress.at(-1)).toBe(weights.length + 2);
    expect(calls.at(-1)).toMatchObject({ channel: 'importModel', payload: { name: 'my-model', uploadId: staged[0]!.payload.uploadId } });
    expect(new Set(staged.map((c) => c.payload.uploadId)).size).toBe(1);
  });

  it('refuses a folder without model.json before sending anything', async () => {
    const { api, calls } = recorder({});
    const r = await importModelFolder(api, 'x', [{ path: 'weights.bin', bytes: new Uint8Array(4) }]);
    expect(r).toMatchObject({ ok: false, error: { code: 'bad_input', message: expect.stringMatching(/no model.json/) } });
    expect(calls).toEqual([]);
  });

  it('drops the chosen folder name from webkitRelativePath', () => {
    expect(relativeToFolder('mymodel/model.json')).toBe('model.json');
    expect(relativeToFolder('mymodel/tfjs/w.bin')).toBe('tfjs/w.bin');
    expect(relativeToFolder('model.json')).toBe('model.json');
  });
});

describe('saveExport', () => {
  it('in serve mode answers download without sending the bytes; in Electron sends them to saveFile', async () => {
    const { api, calls } = recorder({ saveFile: { saved: true, name: 'take.wav' } });
    const bytes = new Uint8Array([1, 2, 3, 250]);
    expect(await saveExport(api, 'serve', { suggestedName: 'take.wav', kind: 'wav', bytes })).toEqual({ ok: true, value: { saved: false, reason: 'download' } });
    expect(calls).toEqual([]);
    expect(await saveExport(api, 'electron', { suggestedName: 'take.wav', kind: 'wav', bytes })).toEqual({ ok: true, value: { saved: true, name: 'take.wav' } });
    expect(calls[0]!.payload).toEqual({ suggestedName: 'take.wav', kind: 'wav', base64: toBase64(bytes) });
    expect(Buffer.from(calls[0]!.payload.base64, 'base64')).toEqual(Buffer.from(bytes));
  });
});
