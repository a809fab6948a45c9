/** JSON as Python's `json.dumps` writes it (which allows bare `NaN`, `Infinity`, `-Infinity`). */
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

/** Parse JSON text written by Python; non-finite numbers become null. Throws a typed error. */
export function parsePythonJson(text: string, what: string): unknown {
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
