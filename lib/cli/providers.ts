import { builtinProviders } from '../providers/builtin';
import type { CliFlag, CliTakes, ProviderCli } from '../providers/test-kit';
import type { BuiltinName } from '../testing/payloads';

/** The providers the CLI sends to: every built-in one, in the registry's order. */
export const PROVIDERS = Object.keys(builtinProviders) as BuiltinName[];

/** How the CLI authenticates to `provider` (its test kit's part). */
export function cliOf(provider: BuiltinName): ProviderCli<unknown> {
  const kit = builtinProviders[provider].testKit;
  if (!kit) throw new Error(`${provider} has no test kit`); // every built-in provider has one (a test says so)
  return kit.cli as ProviderCli<unknown>;
}

/** The flags `command` takes for `provider`, and the words that name them. */
export const takes = (provider: BuiltinName, command: 'send' | 'sign'): CliTakes => {
  const cli = cliOf(provider);
  return command === 'sign' ? cli.sign ?? cli.send : cli.send;
};

/** A credential flag as the CLI offers it: its spelling and checks, and what it is to each provider that takes it. */
export interface OfferedFlag extends Omit<CliFlag, 'about'> {
  readonly name: string;
  readonly about: readonly string[];
}

/** Every credential flag some provider takes with `command` (each provider's own words for it), in the registry's order. */
export function credentialFlags(command: 'send' | 'sign'): OfferedFlag[] {
  const offered = new Map<string, { flag: CliFlag; about: string[] }>();
  for (const provider of PROVIDERS) {
    const cli = cliOf(provider);
    for (const name of takes(provider, command).flags) {
      const flag = cli.flags[name]!;
      const known = offered.get(name);
      if (known) known.about.push(`${provider}: ${flag.about}`);
      else offered.set(name, { flag, about: [`${provider}: ${flag.about}`] });
    }
  }
  return [...offered].map(([name, { flag, about }]) => ({ ...flag, name, about }));
}

/** A flag by name, as a command line spells it: `--key-id`. */
export function flagWord(name: string): string {
  for (const provider of PROVIDERS) {
    const flag = cliOf(provider).flags[name];
    if (flag) return flag.spec.split(' ')[0]!;
  }
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Whether a flag's value is no secret, and a hint may print it. */
export const shownFlag = (name: string) => PROVIDERS.some((provider) => cliOf(provider).flags[name]?.shown === true);

/** The names of every credential flag any provider takes. */
export const CREDENTIAL_FLAGS: readonly string[] = [...new Set(PROVIDERS.flatMap((provider) => Object.keys(cliOf(provider).flags)))];
