import { readFileSync } from 'node:fs';

/** The bytes of the `--file` a user named, or an error that says which file and why. */
export function readFileFlag(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read --file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (error as Error).message}`);
  }
}
