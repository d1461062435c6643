/** A word any POSIX shell (and zsh) reads back unchanged: single-quoted, each `'` written as `'\''`. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}

/** Characters no shell expands, in a word that starts with none of `=` (zsh) or `~`. */
const PLAIN = /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/;

/** The word as it is when a shell would read it back unchanged, else quoted: for commands printed to be read. */
export function shellWord(word: string): string {
  return PLAIN.test(word) ? word : shellQuote(word);
}
