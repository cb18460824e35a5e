/**
 * Settings: one JSON file in the user-data folder, written atomically, read leniently (a damaged
 * file is set aside as settings.json.damaged-<time> and defaults are used, so the studio still starts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../node/atomic';

export interface SettingsData {
  devices?: {
    input: string | null;
    output: string | null;
    outputSettings: Record<string, { channel: number; program: number | null; latencyMs: number }>;
    thru: boolean;
  };
}

export class Settings {
  private data: SettingsData = {};
  private writing: Promise<void> = Promise.resolve();
  readonly file: string;
  /** Set when the file on disk could not be read; shown once in the status bar. */
  problem: string | null = null;

  constructor(userDataDir: string) {
    this.file = path.join(userDataDir, 'settings.json');
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return; // first run
    }
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      this.data = parsed;
    } catch (e) {
      const aside = `${this.file}.damaged-${Date.now()}`;
      try {
        fs.renameSync(this.file, aside);
      } catch {
        /* leave it */
      }
      this.problem = `settings file was damaged (${(e as Error).message}); kept it as ${path.basename(aside)} and started with defaults`;
    }
  }

  get<K extends keyof SettingsData>(key: K): SettingsData[K] {
    return structuredClone(this.data[key]);
  }

  /** Saves in the background, one write at a time, in order. */
  set<K extends keyof SettingsData>(key: K, value: SettingsData[K]): Promise<void> {
    this.data[key] = structuredClone(value);
    const snapshot = JSON.stringify(this.data, null, 2);
    this.writing = this.writing.then(() => writeFileAtomic(this.file, snapshot)).catch((e) => {
      console.error(`seedsong: could not save settings to ${this.file}: ${(e as Error).message}`);
    });
    return this.writing;
  }

  flush(): Promise<void> {
    return this.writing;
  }
}
