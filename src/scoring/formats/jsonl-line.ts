import type { TensorSpec } from '../../engine/types.js';
import { InputError } from '../../util/errors.js';
import { Ch } from '../json-cursor.js';
import { type InputRecords, shapeRecords } from '../records.js';
import { type ValuesArray, ValuesParser } from '../values-parser.js';

/** One JSON Lines record read for a model: its records (one), and the id field's JSON text when asked for. */
export interface LineRecord {
  records: InputRecords;
  /** The `--id-field` value as JSON text (`"a-17"`, `17`), or undefined when the line has none. */
  id?: string;
}

/**
 * Reads one line of a JSON Lines input: `{"values": ...}` (the seed's object), a bare array (the values
 * themselves; for several model inputs, one array per input), or an object with one key per model input,
 * named as the model names its inputs. Other keys are skipped; the `idField` key is kept as JSON text.
 */
class LineParser extends ValuesParser {
  private id: string | undefined;

  protected override where(): string {
    return `column ${this.pos + 1}`;
  }

  read(specs: TensorSpec[], idField: string | undefined): { arrays: ValuesArray[]; id?: string } {
    this.stringInputs = specs.map((s) => s.dtype === 'string');
    const c = this.skipSpace();
    let arrays: ValuesArray[];
    if (c === Ch.LBracket) {
      arrays =
        specs.length === 1
          ? [this.readArray('the line', this.stringInputs[0])]
          : this.readInputs(specs.length);
    } else if (c === Ch.LBrace) arrays = this.readObject(specs, idField);
    else {
      if (c !== -1) this.skipValueChecked();
      this.fail(
        'INPUT_NOT_OBJECT',
        'a line must hold {"values": ...}, an array, or an object of named inputs',
      );
    }
    if (this.skipSpace() !== -1) this.syntax('unexpected text after the record');
    return { arrays, id: this.id };
  }

  private readObject(specs: TensorSpec[], idField: string | undefined): ValuesArray[] {
    this.pos += 1;
    let values: ValuesArray[] | null = null;
    const named: (ValuesArray | undefined)[] = specs.map(() => undefined);
    if (this.skipSpace() === Ch.RBrace) this.pos += 1;
    else {
      for (;;) {
        const key = this.readString();
        this.expect(Ch.Colon, '":"');
        const input = specs.findIndex((s) => s.name === key);
        if (key === 'values') {
          if (values) this.fail('INPUT_DUPLICATE_VALUES', 'the object has "values" twice');
          values =
            specs.length === 1
              ? [this.readArray('"values"', this.stringInputs[0])]
              : this.readInputs(specs.length);
        } else if (key === idField) {
          this.skipSpace();
          const start = this.pos;
          this.skipValueChecked();
          this.id = new TextDecoder().decode(this.bytes.subarray(start, this.pos));
        } else if (input !== -1) named[input] = this.readArray(`"${key}"`, this.stringInputs[input]);
        else this.skipValueChecked();
        const next = this.skipSpace();
        this.pos += 1;
        if (next === Ch.RBrace) break;
        if (next !== Ch.Comma) {
          this.pos -= 1;
          this.syntax('expected "," or "}"');
        }
      }
    }
    if (values) return values;
    const missing = specs.filter((_, i) => named[i] === undefined).map((s) => s.name);
    if (missing.length === specs.length) {
      this.fail(
        'INPUT_NO_VALUES',
        `the object has no "values" key and no key named after a model input (${specs.map((s) => s.name).join(', ')})`,
      );
    }
    if (missing.length > 0)
      this.fail('INPUT_WRONG_INPUT_COUNT', `the object lacks the model input(s) ${missing.join(', ')}`);
    return named as ValuesArray[];
  }
}

/** Parses and shapes one line (its bytes, without the newline) as exactly one record for the model. */
export function readJsonLine(bytes: Uint8Array, specs: TensorSpec[], idField?: string): LineRecord {
  const { arrays, id } = new LineParser(bytes).read(specs, idField);
  const records = shapeRecords(arrays, specs);
  if (records.count !== 1) {
    throw new InputError(
      'INPUT_SEVERAL_RECORDS',
      `a line holds one record; this one holds ${records.count} (write one line per record)`,
    );
  }
  return { records, id };
}
