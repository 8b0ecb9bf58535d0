/** The end of a failed `descent` command (main.ts), in a module of its own so tests can call it. */
import { DescentError } from '../errors.js';

/**
 * How a failed command ends. A user's mistake (a DescentError: bad flag, bad file, a path
 * that cannot be written) or the system refusing a file operation (an error with an errno
 * code such as EROFS) is one line naming the argument or path, exit 1. Anything else is a
 * bug in descent: its stack, and a line saying so, exit 70 (EX_SOFTWARE).
 */
export function reportError(
  error: unknown,
  write = (text: string) => void process.stderr.write(text),
): number {
  if (error instanceof DescentError) {
    write(`descent: ${error.message}\n`);
    return 1;
  }
  const system = error as NodeJS.ErrnoException;
  if (typeof system?.code === 'string' && /^E[A-Z]+$/.test(system.code) && system.syscall) {
    const path = system.path ? ` '${system.path}'` : '';
    write(`descent: cannot ${system.syscall}${path}: ${system.code} (${system.message.split(',')[0]}).\n`);
    return 1;
  }
  write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n` +
      'descent: this is a bug in descent, not a problem with your input; please report it with the command you ran.\n',
  );
  return 70;
}
