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

export function FormatFields(props: {
  value: FormatForm;
  onChange: (f: FormatForm) => void;
  errors: Errors<FormatField>;
}) {
  const f = props.value;
  const set = (k: FormatField, v: string) => props.onChange({ ...f, [k]: v });
  const shown = new Set(relevantFields(f.input_format));
  const outputs = OUTPUT_FORMATS[f.input_format];
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
        {shown.has('output_format') && outputs && (
          <Select
            label="Output format"
            value={f.output_format}
            onChange={(v) => set('output_format', v)}
            options={outputs}
            placeholder={OUTPUT_DEFAULT[f.input_format] ?? 'Default'}
          />
        )}
      </div>
      {f.input_format === '' && (
        <p className="muted">
          Every supported file in the source is read by its ending. Choose a format to set its options (an id
          column, columns, image resizing…).
        </p>
      )}
      {shown.has('id_field') && (
        <Field
          label="Id field"
          value={f.id_field}
          onChange={(v) => set('id_field', v)}
          error={props.errors.id_field}
          placeholder="(the line number)"
          hint='A field of each line passed to its output line as "id".'
        />
      )}
      {shown.has('id_column') && (
        <div className="two">
          <Field
            label="Id column"
            value={f.id_column}
            onChange={(v) => set('id_column', v)}
            error={props.errors.id_column}
            placeholder="(the row number)"
            hint="Passed to the output's first column, not scored."
          />
          <Field
            label="Columns"
            value={f.columns}
            onChange={(v) => set('columns', v)}
            error={props.errors.columns}
            placeholder="(every column but the id)"
            hint="The model's input, in order: a,b,c."
          />
        </div>
      )}
      {shown.has('join') && (
        <Select
          label="Output columns before the predictions"
          value={f.join}
          onChange={(v) => set('join', v)}
          options={[{ value: 'input', label: 'Every input column (join input)' }]}
          placeholder="The id (or row number)"
        />
      )}
      {shown.has('npz_arrays') && (
        <Field
          label="Arrays of an .npz"
          value={f.npz_arrays}
          onChange={(v) => set('npz_arrays', v)}
          error={props.errors.npz_arrays}
          placeholder="(named as the model's inputs)"
          hint="The arrays the model reads, in its input order: a,b."
        />
      )}
      {shown.has('resize') && (
        <div className="two">
          <Select
            label="Resize"
            value={f.resize}
            onChange={(v) => set('resize', v)}
            options={RESIZE}
            placeholder="Stretch to the model's size (bilinear)"
          />
          <Select
            label="Scale"
            value={f.scale}
            onChange={(v) => set('scale', v)}
            options={SCALE}
            placeholder="Raw 0–255"
          />
        </div>
      )}
    </fieldset>
  );
}
