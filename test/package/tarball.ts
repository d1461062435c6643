import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface TarFile {
  /** The path inside the package (without npm's leading `package/`). */
  readonly path: string;
  readonly mode: number;
  readonly content: Buffer;
}

const field = (header: Buffer, start: number, length: number) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
const octal = (header: Buffer, start: number, length: number) => parseInt(field(header, start, length).trim() || '0', 8);

/** The regular files of a `.tgz` as `npm pack` writes it (ustar, with pax headers for long paths), by path. */
export function readTarball(file: string): Map<string, TarFile> {
  const tar = gunzipSync(readFileSync(file));
  const files = new Map<string, TarFile>();
  let paxPath: string | undefined;
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((byte) => byte === 0)) break;
    const size = octal(header, 124, 12);
    const type = field(header, 156, 1);
    const content = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(content.toString('utf8'))?.[1];
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    paxPath = undefined;
    if (type !== '0' && type !== '') continue;
    files.set(name.replace(/^package\//, ''), { path: name.replace(/^package\//, ''), mode: octal(header, 100, 8), content: Buffer.from(content) });
  }
  return files;
}

/**
 * The bare module specifiers (packages, not relative files) that the declaration `entry` needs, following
 * its relative imports through the other declarations of the tarball: what a user's compiler must resolve.
 */
export function declarationImports(files: ReadonlyMap<string, TarFile>, entry: string): Set<string> {
  const bare = new Set<string>();
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const file = files.get(path);
    if (!file) throw new Error(`${entry} reaches ${path}, which the tarball does not hold`);
    // Comments hold usage examples with imports of their own; triple-slash references stay.
    const code = file.content.toString('utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/(?!\/).*$/gm, '');
    for (const [, types] of code.matchAll(/^\/\/\/\s*<reference\s+types=['"]([^'"]+)['"]/gm)) bare.add(types!);
    for (const [, specifier] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) {
      if (specifier!.startsWith('.')) {
        const target = posix.join(posix.dirname(path), specifier!).replace(/\.js$/, '');
        visit(files.has(`${target}.d.ts`) ? `${target}.d.ts` : `${target}/index.d.ts`);
      } else {
        bare.add(specifier!);
      }
    }
  };
  visit(entry);
  return bare;
}
