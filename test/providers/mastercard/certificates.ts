import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A key and its certificate, PEM. */
export interface Issued {
  readonly key: string;
  readonly cert: string;
}

/**
 * Keys and certificates made at test time with the openssl CLI, in a temporary folder removed by `close()`: a
 * self-signed one, or one issued by a CA of these, with a subject CN and DNS names.
 */
export class Certificates {
  private readonly dir = mkdtempSync(join(tmpdir(), 'ntw-mastercard-'));
  private serial = 1;

  private run(args: readonly string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }

  private read(name: string): string {
    return readFileSync(join(this.dir, name), 'utf8');
  }

  /** A self-signed certificate (a CA, when `ca`). */
  selfSigned(cn: string, options: { ca?: boolean } = {}): Issued {
    const name = `self-${this.serial++}`;
    this.run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`,
      '-addext', options.ca ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=CA:FALSE']);
    return { key: this.read(`${name}.key`), cert: this.read(`${name}.crt`) };
  }

  /** A certificate issued by `ca`, for a TLS client or server, with its DNS names. */
  issued(ca: Issued, cn: string, dns: readonly string[] = []): Issued {
    const name = `leaf-${this.serial++}`;
    writeFileSync(join(this.dir, 'ca.key'), ca.key);
    writeFileSync(join(this.dir, 'ca.crt'), ca.cert);
    const extensions = ['basicConstraints=CA:FALSE', 'extendedKeyUsage=serverAuth,clientAuth', ...(dns.length > 0 ? [`subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}`] : [])];
    writeFileSync(join(this.dir, `${name}.ext`), `${extensions.join('\n')}\n`);
    this.run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    this.run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(this.serial++), '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`]);
    return { key: this.read(`${name}.key`), cert: this.read(`${name}.crt`) };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
