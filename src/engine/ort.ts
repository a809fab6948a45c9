/**
 * The one import of onnxruntime-node. Its Linux build ships Microsoft's 1DS telemetry, on by default: it writes
 * `~/.cache/Microsoft/DeveloperTools/.onnxruntime/` and `$TMPDIR/mat-debug-<pid>.log` and tries to upload events.
 * onnxruntime reads `ORT_DISABLE_TELEMETRY` when its native library initializes, so the variable is set (unless
 * the user set it) by the side-effect import below, which ESM evaluates before the native module loads.
 */
import './telemetry-off.js';
import ort from 'onnxruntime-node';

export default ort;
