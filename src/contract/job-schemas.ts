/**
 * Schemas of the checks before saving a deployment (`POST /api/v1/deployments/validate`), the rerun modes and
 * a job's downloads (its report, its failures as JSON Lines or CSV).
 */
import { type Static, Type } from 'typebox';
import { Int, Nullable, Str, Strict, StringEnum } from './schema-kit.js';
import { Deployment, Failure, JOB_MODES, Job } from './schemas.js';

export const CHECK_VERDICTS = ['pass', 'fail', 'warn', 'skip'] as const;

/** One check of a deployment before it is saved, in the UI's words. */
export const ValidationCheck = Type.Object({
  /** `settings`, `overlap`, `source`, `target`, `shape` or `estimate`. */
  id: Str,
  label: Str,
  verdict: StringEnum(CHECK_VERDICTS),
  message: Str,
});

/** What the checks found: each check's verdict, and from the dry run the inputs, a sample output, an estimate. */
export const ValidationResult = Type.Object({
  /** No check failed: saving would not be refused, and the job would not stop at once. */
  ok: Type.Boolean(),
  checks: Type.Array(ValidationCheck),
  inputs: Nullable(
    Type.Object({
      count: Int,
      /** False when the listing stopped early (a huge source): `count` is a lower bound. */
      complete: Type.Boolean(),
      by_format: Type.Array(Type.Object({ format: Str, files: Int, bytes: Int })),
    }),
  ),
  sample: Nullable(Type.Object({ key: Str, text: Str })),
  estimate: Nullable(
    Type.Object({
      seconds: Type.Number(),
      cpu_seconds: Type.Number(),
      records_per_second: Type.Number(),
      /** What the estimate rests on (a small sample: a rough guide). */
      note: Str,
    }),
  ),
});

export const ValidateQuery = Strict({
  /** How many inputs the dry run scores (nothing is written). */
  sample: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, default: 8 })),
});

export const RerunQuery = Strict({
  /** `all` every input (default), `resume` skip the inputs already scored by this model, `failed` only the failed inputs. */
  mode: Type.Optional(StringEnum(JOB_MODES, { default: 'all' })),
});

/** A job's report as a download: the job, its deployment's settings, and its failures. */
export const JobReportDoc = Type.Object({
  job: Job,
  deployment: Nullable(Deployment),
  failures: Type.Array(Failure),
  failures_total: Int,
});

/** A text download (JSON Lines or CSV). */
export const TextFile = Type.String();

export type ValidationCheckView = Static<typeof ValidationCheck>;
export type ValidationResult = Static<typeof ValidationResult>;
export type ValidateQuery = Static<typeof ValidateQuery>;
export type RerunQuery = Static<typeof RerunQuery>;
export type JobReportDoc = Static<typeof JobReportDoc>;
