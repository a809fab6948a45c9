// Read by onnxruntime's native library at load; see ort.ts. Child processes and worker threads inherit it.
process.env.ORT_DISABLE_TELEMETRY ??= '1';
