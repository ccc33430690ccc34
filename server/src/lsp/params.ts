// Checking request parameters: any client (or a typo in an editor config) may send anything, and a
// wrong field must come back as InvalidParams naming the field, never as a crash or a thrown TypeError.
import { fileURLToPath } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import { ParamError } from './errors.ts';

export { ParamError };

export type Params = Record<string, unknown>;

export function asParams(p: unknown): Params {
  if (p === undefined || p === null) return {};
  if (typeof p !== 'object' || Array.isArray(p)) throw new ParamError('parameters must be an object');
  return p as Params;
}

export function requireString(p: Params, key: string): string {
  const v = p[key];
  if (typeof v !== 'string' || v === '') throw new ParamError(`'${key}' must be a non-empty string`);
  return v;
}

export function optionalString(p: Params, key: string): string | undefined {
  return p[key] === undefined || p[key] === null ? undefined : requireString(p, key);
}

export function optionalNumber(p: Params, key: string, ok: (x: number) => boolean, what: string): number | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new ParamError(`'${key}' must be ${what}, not ${JSON.stringify(v)}`);
  return v;
}

export function optionalBoolean(p: Params, key: string): boolean | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ParamError(`'${key}' must be true or false`);
  return v;
}

export function optionalChoice<T extends string>(p: Params, key: string, choices: readonly T[]): T | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) throw new ParamError(`'${key}' must be one of ${choices.join(', ')}`);
  return v as T;
}

/** A path as clients send them: absolute, or a file:// URI. */
export function pathParam(value: string, key: string): string {
  if (value.startsWith('file:')) {
    try {
      return fileURLToPath(value);
    } catch {
      throw new ParamError(`'${key}' is not a valid file URI`);
    }
  }
  if (!isAbsolute(value)) throw new ParamError(`'${key}' must be an absolute path or a file URI`);
  return resolve(value);
}
