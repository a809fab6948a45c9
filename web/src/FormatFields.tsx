/** The Batch Prediction form's "Input format" card: the format and, below it, only the options it takes. */
import {
  type FormatField,
  type FormatForm,
  INPUT_FORMATS,
  type InputFormatChoice,
  OUTPUT_DEFAULT,
  OUTPUT_FORMATS,
  relevantFields,
} from './format-form';
import { Field, Select } from './ui';
import type { Errors } from './validate';

const RESIZE = [
  { value: 'crop', label: 'Crop to the aspect ratio, then resize (smart_resize)' },
  { value: 'pad', label: 'Pad to the aspect ratio, then resize' },
];
const SCALE = [
  { value: 'unit', label: '0–1 (÷255)' },
  { value: 'symmetric', label: '−1–1 (MobileNet, Inception)' },
  { value: 'caffe', label: 'caffe: BGR minus ImageNet means (VGG, ResNet50)' },
  { value: 'torch', label: 'torch: ÷255, ImageNet mean and std (DenseNet)' },
];

type Choices = { value: string; label: string }[];

export function FormatFields(props: {
  value: FormatForm;
  onChange: (f: FormatForm) => void;
  errors: Errors<FormatField>;
}) {
  const f = props.value;
  const set = (k: FormatField, v: string) => props.onChange({ ...f, [k]: v });
  const shown = new Set(relevantFields(f.input_format));
  const outputs = OUTPUT_FORMATS[f.input_format];
  /** A text option: its value, error and change handler come from its key. */
  const text = (k: FormatField, label: string, placeholder: string, hint: string) => (
    <Field
      label={label}
      value={f[k]}
      onChange={(v) => set(k, v)}
      error={props.errors[k]}
      placeholder={placeholder}
      hint={hint}
    />
  );
  /** A choice among `options`, `placeholder` naming what none chosen means. */
  const choice = (k: FormatField, label: string, options: Choices, placeholder: string) => (
    <Select
      label={label}
      value={f[k]}
      onChange={(v) => set(k, v)}
      options={options}
      placeholder={placeholder}
    />
  );
  return (
    <fieldset className="card" data-testid="format-fields">
      <legend>Input format</legend>
      <div className="two">
        <Select
          label="Input format"
          value={f.input_format}
          onChange={(v) => props.onChange({ ...f, input_format: v as InputFormatChoice, output_format: '' })}
          options={INPUT_FORMATS}
          placeholder="Auto: by each file's ending"
        />
        {shown.has('output_format') &&
          outputs &&
          choice('output_format', 'Output format', outputs, OUTPUT_DEFAULT[f.input_format] ?? 'Default')}
      </div>
      {f.input_format === '' && (
        <p className="muted">
          Every supported file in the source is read by its ending. Choose a format to set its options (an id
          column, columns, image resizing…).
        </p>
      )}
      {shown.has('id_field') &&
        text(
          'id_field',
          'Id field',
          '(the line number)',
          'A field of each line passed to its output line as "id".',
        )}
      {shown.has('id_column') && (
        <div className="two">
          {text(
            'id_column',
            'Id column',
            '(the row number)',
            "Passed to the output's first column, not scored.",
          )}
          {text('columns', 'Columns', '(every column but the id)', "The model's input, in order: a,b,c.")}
        </div>
      )}
      {shown.has('join') &&
        choice(
          'join',
          'Output columns before the predictions',
          [{ value: 'input', label: 'Every input column (join input)' }],
          'The id (or row number)',
        )}
      {shown.has('npz_arrays') &&
        text(
          'npz_arrays',
          'Arrays of an .npz',
          "(named as the model's inputs)",
          'The arrays the model reads, in its input order: a,b.',
        )}
      {shown.has('resize') && (
        <div className="two">
          {choice('resize', 'Resize', RESIZE, "Stretch to the model's size (bilinear)")}
          {choice('scale', 'Scale', SCALE, 'Raw 0–255')}
        </div>
      )}
    </fieldset>
  );
}
