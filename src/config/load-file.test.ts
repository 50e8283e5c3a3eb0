import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, MAX_CONFIG_BYTES } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-file-'));
const text = ['deployments:', '  - id: a', '    provider: openai-compatible', '    model: gpt-4o-mini', '    endpoint: http://127.0.0.1:9/v1', ''].join('\n');

function loadError(path: string): ConfigError {
  try {
    loadConfigFile(path, {});
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

function write(name: string, bytes: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

describe('reading the config file', () => {
  it('refuses bytes that are not UTF-8, naming their line, rather than reading them as U+FFFD', () => {
    const file = write('latin1.yaml', Buffer.concat([Buffer.from(text), Buffer.from('# caf\xe9\n', 'latin1')]));
    expect(loadError(file).message).toBe(`cannot read config file ${file}: it is not UTF-8 text (line 6 holds bytes that are not): save it as UTF-8`);
  });

  it('refuses a UTF-16 file without printing its NUL bytes', () => {
    const file = write('utf16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const message = loadError(file).message;
    expect(message).toBe(`cannot read config file ${file}: it is not UTF-8 text (UTF-16, or NUL bytes): save it as UTF-8`);
    expect(message).not.toContain('\0');
  });

  it('refuses what is not a regular file (a device would be read forever) and a file above the size bound', () => {
    expect(loadError('/dev/zero').message).toBe('cannot read config file /dev/zero: it is not a regular file (a device, FIFO or socket)');
    const big = write('big.yaml', `${text}#${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    expect(loadError(big).message).toBe(`cannot read config file ${big}: it is larger than ${MAX_CONFIG_BYTES} bytes`);
  });

  it('reads a UTF-8 file, with or without a byte order mark', () => {
    expect(loadConfigFile(write('plain.yaml', `${text}# café\n`), {}).deployments).toHaveLength(1);
    expect(loadConfigFile(write('bom.yaml', `\uFEFF${text}`), {}).deployments).toHaveLength(1);
  });
});
