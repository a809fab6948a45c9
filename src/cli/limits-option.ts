import { type Command, InvalidArgumentError } from 'commander';
import { LIMIT_NAMES, parseLimitSettings, setLimits } from '../util/limits.js';

/** Commands that read models or inputs: they take `--limit name=value` (docs/limits.md). */
const LIMITED = new Set(['inspect', 'predict', 'score', 'serve', 'worker']);

function limitSetting(text: string, previous: string[] | undefined): string[] {
  try {
    parseLimitSettings([text]);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return [...(previous ?? []), text];
}

/**
 * Adds the repeatable `--limit name=value` to the commands that read models or inputs, and sets the
 * process's limits (defaults, then `KERAS_BATCH_LIMITS`, then the flags) before any command runs.
 */
export function addLimitOptions(program: Command): void {
  for (const command of program.commands) {
    if (!LIMITED.has(command.name())) continue;
    command.option(
      '--limit <name=value>',
      `raise or lower a budget (repeatable; also KERAS_BATCH_LIMITS="name=value,..."): ${Object.values(LIMIT_NAMES).join(', ')}; see docs/limits.md`,
      limitSetting,
    );
  }
  program.hook('preAction', (_program, action) => {
    // other commands may have an option of that name (`audit --limit 50`): only these carry the budgets
    const given = LIMITED.has(action.name()) ? (action.opts().limit as string[] | undefined) : undefined;
    setLimits(given ?? []);
  });
}
