import { type Command, Option } from 'commander';
import {
  type FormatOptions,
  RESIZE_MODES,
  type ResizeMode,
  SCALE_MODES,
  type ScaleMode,
} from '../../batch/index.js';

/** The options of `score` for NumPy and image inputs. */
export interface NpyImageOptions {
  npzArray?: string;
  resize: ResizeMode;
  scale: ScaleMode;
}

/** Adds `--npz-array`, `--resize` and `--scale` to `score`. */
export function addNpyImageOptions(command: Command): Command {
  return command
    .option(
      '--npz-array <a,b>',
      'NumPy .npz: the arrays the model reads, in input order (default: by input name)',
    )
    .addOption(
      new Option(
        '--resize <how>',
        "images: to the model's height × width by stretch, crop (smart_resize) or pad",
      )
        .choices([...RESIZE_MODES])
        .default('stretch'),
    )
    .addOption(
      new Option(
        '--scale <how>',
        'images: pixels as 0-255 (raw), 0-1 (unit), -1-1 (symmetric), caffe or torch',
      )
        .choices([...SCALE_MODES])
        .default('raw'),
    );
}

/** Those options as the batch runner takes them. */
export function npyImageFormatOptions(options: NpyImageOptions): FormatOptions {
  return {
    npzArrays: options.npzArray
      ?.split(',')
      .map((c) => c.trim())
      .filter((c) => c !== ''),
    resize: options.resize,
    scale: options.scale,
  };
}
