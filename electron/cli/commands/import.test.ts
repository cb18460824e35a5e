import { describe, it, expect } from 'vitest';
import { command } from './import';

describe('import --help', () => {
  it('says a plain character vocabulary is accepted, and what becomes of it', () => {
    expect(command.usage).toMatch(/plain character vocabulary \(ids 0..V-1 are characters, no "<s>"\/"<\/s>"/);
    expect(command.usage).toMatch(/char_to_index\.json/);
  });
});
