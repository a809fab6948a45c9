/** JSON as Python's `json.dumps` writes it (which allows bare `NaN`, `Infinity`, `-Infinity`). */
import { checkLimit, type Limits } from '../util/limits.js';
import { KerasErrorCode, loadError } from './errors.js';

/** Whether a value is a plain JSON object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function replaceNonFinite(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const rest = text.startsWith('-Infinity', i)
      ? 9
      : text.startsWith('Infinity', i)
        ? 8
        : text.startsWith('NaN', i)
          ? 3
          : 0;
    if (rest > 0) {
      out += 'null';
      i += rest - 1;
      continue;
    }
    out += c;
  }
  return out;
}

/** The deepest nesting of objects and arrays in JSON text (brackets inside strings not counted). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/**
 * Parse JSON text written by Python; non-finite numbers become null. Throws a typed error. With `limits`,
 * text longer than `configBytes` or nested deeper than `configDepth` is refused before it is parsed.
 */
export function parsePythonJson(text: string, what: string, limits?: Limits): unknown {
  if (limits) {
    checkLimit(limits, 'configBytes', text.length, 'keras', `${what}'s size`);
    const depth = jsonDepth(text);
    checkLimit(limits, 'configDepth', depth, 'keras', `${what}'s nesting depth`);
  }
  try {
    return JSON.parse(text);
  } catch {
    try {
      return JSON.parse(replaceNonFinite(text));
    } catch (error) {
      throw loadError(KerasErrorCode.BadConfig, `${what} is not valid JSON`, error);
    }
  }
}
