import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What one of our `npm run` commands accepts, and the text `--help` prints. */
export interface CommandLine<O extends Options> {
  /** How the user types it, e.g. `npm run users`: error lines point at `<name> -- --help`. */
  name: string;
  usage: string;
  options: O;
  positionals?: boolean;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * The parsed arguments; `--help` prints the usage and exits 0, and a mistyped option is one line
 * and exit 2, never the stack trace node:util's parser throws.
 */
export function readCommandLine<const O extends Options>(command: CommandLine<O>, args = process.argv.slice(2)) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...command.options, ...HELP }, allowPositionals: command.positionals ?? false, strict: true });
  } catch (error) {
    if (!String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) throw error;
    // node:util's first sentence names the option; its advice about "--" does not fit npm's own "--".
    const [reason] = (error as Error).message.split('. ');
    return exitWith(`${reason}: see ${command.name} -- --help`, 2);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${command.usage}\n`);
    process.exit(0);
  }
  return parsed;
}

/** The one line a user needs, on stderr, and the exit code. */
export function exitWith(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
