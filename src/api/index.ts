/**
 * The REST API (Fastify): WML v3-compatible routes, `/api/v1`, OpenAPI, auth, metrics, online scoring.
 * @module
 */
export { APP_DEFAULTS, type AppOptions, buildApp } from './app.js';
export { ApiError, type ErrorBody, toErrorBody } from './errors.js';
