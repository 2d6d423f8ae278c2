import { readFileSync, writeFileSync } from 'node:fs';

/** The heading of bench/waves.ts's section of bench/results.md: always the file's last, kept by bench/run.ts. */
export const WAVES_SECTION = '## Waves against a chain';

/** Writes (or replaces) the waves section at the end of results.md. */
export function writeWavesSection(file: string, section: string): void {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // No results yet: the section alone.
  }
  const start = text.indexOf(WAVES_SECTION);
  const before = (start < 0 ? text : text.slice(0, start)).replace(/\n*$/, '');
  writeFileSync(file, `${before ? `${before}\n\n` : ''}${section.replace(/\n*$/, '')}\n`);
}
