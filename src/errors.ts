/**
 * The error hierarchy. Every message names the place (layer, op, file, row, argument)
 * and says what was expected, so a user can fix the input without reading our code.
 */
export class DescentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Tensors whose shapes do not fit the operation or layer they were given to. */
export class ShapeError extends DescentError {}

/** Bad values in data: NaN in a CSV cell, a label out of range, a loss that became NaN. */
export class DataError extends DescentError {}

/** A file that is not what it claims to be (wrong magic, truncated, corrupt). */
export class FormatError extends DescentError {}

/** Invalid arguments or settings: a negative learning rate, an unknown optimiser name. */
export class ConfigError extends DescentError {}

/** Something asked for by name that is not there: a model key in the browser's IndexedDB. */
export class NotFoundError extends DescentError {}

/** What the host cannot do here: reading or writing a folder in a web page, which has no file system. */
export class PlatformError extends DescentError {}

/**
 * A file or folder that cannot be written, created or renamed: the path, what was being
 * done and the system's reason in words (no space left, read-only file system, permission
 * denied), with its code (ENOSPC, EROFS, EACCES…).
 */
export class FileSystemError extends DescentError {
  constructor(
    message: string,
    readonly path: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Throws a ConfigError listing the valid names when `name` is not one of them. */
export function unknownName(kind: string, name: string, valid: readonly string[]): never {
  const plural = /(s|x|sh|ch)$/.test(kind) ? `${kind}es` : `${kind}s`;
  throw new ConfigError(`Unknown ${kind} '${name}'. Valid ${plural}: ${valid.join(', ')}.`);
}

export function checkPositiveInt(where: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`${where}: ${name} must be a positive integer, got ${value}.`);
  }
  return value;
}

export function checkPositive(where: string, name: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new ConfigError(`${where}: ${name} must be a positive finite number, got ${value}.`);
  }
  return value;
}

export function checkNonNegative(where: string, name: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new ConfigError(`${where}: ${name} must be a non-negative finite number, got ${value}.`);
  }
  return value;
}
