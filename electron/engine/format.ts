/** Human-readable progress lines for the CLI (and logs): pure functions of the progress events. */
import type { BatchProgress, EpochRecord } from './train';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function progressBar(fraction: number, width = 24): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return '[' + '#'.repeat(full) + '.'.repeat(width - full) + ']';
}

export function formatProgress(p: BatchProgress): string {
  const pct = Math.floor((100 * p.batch) / p.batchesPerEpoch);
  return `epoch ${p.epoch}/${p.epochs} ${progressBar(p.batch / p.batchesPerEpoch)} ${String(pct).padStart(3)}% batch ${p.batch}/${p.batchesPerEpoch} loss ${p.loss.toFixed(4)} acc ${p.accuracy.toFixed(3)} ${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tok/s ETA ${formatDuration(p.etaSeconds)}`;
}

export function formatEpoch(r: EpochRecord): string {
  const val = r.val_loss === null ? '' : ` val_loss ${r.val_loss.toFixed(4)} val_acc ${(r.val_accuracy ?? 0).toFixed(3)}`;
  return `epoch ${r.epoch}: loss ${r.loss.toFixed(4)} acc ${r.accuracy.toFixed(3)}${val} (${formatDuration(r.seconds)})`;
}
