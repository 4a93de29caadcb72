/**
 * The frame the small CLIs in bench/tools share: strict flags (node:util parseArgs); a usage
 * mistake prints `<name>: <message>` and the usage and exits 2; a failure prints
 * `<name>: <message>` and exits 1.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

export function toolCli(name: string, usage: string) {
  const fail = (message: string): never => {
    process.stderr.write(`${name}: ${message}\n${usage}\n`);
    process.exit(2);
  };
  return {
    fail,
    /** The command line's flags, parsed strictly: an unknown or malformed flag fails with the usage. */
    flags<const O extends ParseArgsOptionsConfig>(options: O) {
      try {
        return parseArgs({ options, strict: true }).values;
      } catch (err) {
        return fail(err instanceof Error ? err.message : String(err));
      }
    },
    /** `--<flag>`'s value as a finite number, or (`positive-integer`) a positive integer; else fail. */
    number(flag: string, text: string, kind: 'finite' | 'positive-integer' = 'finite'): number {
      const n = Number(text);
      if (kind === 'finite' && !Number.isFinite(n)) fail(`--${flag} must be a number, got "${text}".`);
      if (kind === 'positive-integer' && (!Number.isInteger(n) || n < 1)) fail(`--${flag} must be a positive integer, got "${text}".`);
      return n;
    },
    /** Runs `main`; an error prints its message and exits 1. */
    run(main: () => Promise<void>): void {
      main().catch((err: unknown) => {
        process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      });
    },
  };
}
