import { describe, expect, it } from 'vitest';
import { fileProblem } from './file-problem.js';

const failure = (code: string, message = `${code}: syscall failed`): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

describe('fileProblem', () => {
  it.each([
    ['ENOENT', false, 'no such file'],
    ['ENOENT', true, 'its directory does not exist'],
    ['EISDIR', false, 'it is a directory, not a file'],
    ['EACCES', true, 'permission denied'],
    ['EPERM', false, 'permission denied'],
    ['ENOTDIR', false, 'a part of its path is a file, not a directory'],
  ])('says %s (writing: %s) in words: %s', (code, writing, words) => {
    expect(fileProblem(failure(code), writing)).toBe(words);
  });

  it("keeps Node's message for a failure it has no words for", () => {
    expect(fileProblem(failure('EMFILE', 'EMFILE: too many open files'))).toBe('EMFILE: too many open files');
  });
});
