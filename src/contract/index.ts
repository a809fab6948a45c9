/**
 * The API's contract: the TypeBox schemas of every `/api/v1` and WML v3 request and response, the types derived
 * from them, and the one typed client of `/api/v1`.
 * @module
 */
export * from './access-schemas.js';
export * from './client.js';
export * from './job-schemas.js';
export * from './schemas.js';
export * from './v3-schemas.js';
export * from './wml-client-schemas.js';
export * from './wml-v4-schemas.js';
