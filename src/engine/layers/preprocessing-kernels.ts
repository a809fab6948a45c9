/**
 * TF's ScaleAndTranslate resampling (tensorflow/core/kernels/image/scale_and_translate_op.cc and
 * sampling_kernels.h), which `tf.image.resize` uses for lanczos3, lanczos5, gaussian and mitchellcubic, and
 * for bilinear ('triangle') and bicubic ('keyscubic') with `antialias=True`: per output pixel a span of input
 * pixels weighted by the kernel (widened by the downscale factor when antialiasing), normalized to sum 1.
 * Float32 steps are emulated with `Math.fround`.
 */

const f = Math.fround;

interface SamplingKernel {
  radius: number;
  at(x: number): number;
}

const PI = f(Math.PI);

/** `((c0 * x + c1) * x + c2) * x + c3` in float32 steps. */
function horner(x: number, c: number[]): number {
  let acc = c[0];
  for (let i = 1; i < c.length; i += 1) acc = f(f(acc * x) + c[i]);
  return acc;
}

function lanczos(radius: number): SamplingKernel {
  return {
    radius,
    at(x0) {
      const x = Math.abs(x0);
      if (x > radius) return 0;
      if (x <= f(1e-3)) return 1;
      const num = f(f(radius * f(Math.sin(f(PI * x)))) * f(Math.sin(f(f(PI * x) / radius))));
      return f(num / f(f(f(PI * PI) * x) * x));
    },
  };
}

const KERNELS: Record<string, SamplingKernel> = {
  lanczos3: lanczos(3),
  lanczos5: lanczos(5),
  gaussian: {
    radius: 1.5,
    at(x0) {
      const x = Math.abs(x0);
      if (x >= 1.5) return 0;
      const sigma = f(1.5 / 3);
      return f(Math.exp((-x * x) / (2.0 * sigma * sigma)));
    },
  },
  mitchellcubic: {
    radius: 2,
    at(x0) {
      const x = Math.abs(x0);
      if (x >= 2) return 0;
      if (x >= 1) return horner(x, [f(-7 / 18), 2, f(-10 / 3), f(16 / 9)]);
      return f(f(f(f(f(f(7 / 6) * x) - 2) * x) * x) + f(8 / 9));
    },
  },
  triangle: { radius: 1, at: (x) => (Math.abs(x) < 1 ? f(1 - Math.abs(x)) : 0) },
  keyscubic: {
    radius: 2,
    at(x0) {
      const x = Math.abs(x0);
      if (x >= 2) return 0;
      if (x >= 1) return horner(x, [-0.5, 2.5, -4, 2]);
      return f(f(f(f(f(1.5 * x) - 2.5) * x) * x) + 1);
    },
  },
};

/** The ScaleAndTranslate kernel `tf.image.resize` uses for a method, or null when it uses another op. */
export function scaleAndTranslateKernel(method: string, antialias: boolean): string | null {
  if (method in KERNELS && method !== 'triangle' && method !== 'keyscubic') return method;
  if (antialias && method === 'bilinear') return 'triangle';
  if (antialias && method === 'bicubic') return 'keyscubic';
  return null;
}

/** The `[outSize, inSize]` weights (row-major) of one axis, `scale = out / in` and no translation. */
export function scaleAndTranslateWeights(
  kernelName: string,
  inSize: number,
  outSize: number,
  antialias: boolean,
): Float64Array {
  const kernel = KERNELS[kernelName];
  const w = new Float64Array(outSize * inSize);
  const scale = f(outSize / inSize);
  const invScale = f(1.0 / scale);
  const kernelScale = antialias ? Math.max(invScale, 1) : 1;
  const reach = f(kernel.radius * kernelScale);
  for (let o = 0; o < outSize; o += 1) {
    const sample = f(f(o + 0.5) * invScale);
    if (sample < 0 || sample > inSize) continue;
    const clamp = (v: number) => Math.min(Math.max(v, 0), inSize - 1);
    const start = clamp(Math.ceil(f(f(sample - reach) - 0.5)));
    const end = clamp(Math.floor(f(f(sample + reach) - 0.5))) + 1;
    const weights: number[] = [];
    let total = 0;
    for (let i = start; i < end; i += 1) {
      const pos = f(f(i + 0.5) - sample);
      const v = kernel.at(Math.abs(f(pos / kernelScale)));
      total = f(total + v);
      weights.push(v);
    }
    if (Math.abs(total) < 1000 * 1.1754943508222875e-38) continue;
    const inv = f(1 / total);
    weights.forEach((v, k) => {
      w[o * inSize + start + k] = f(v * inv);
    });
  }
  return w;
}
