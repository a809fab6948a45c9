export { type DistributedJobOptions, type DistributedReport, runDistributedJob } from './coordinator.js';
export { QUEUE_DEFAULTS, type QueueSettings, WORKER_DEFAULTS, type WorkerSettings } from './defaults.js';
export { QueueError } from './errors.js';
export { type ModelLoader, WorkerModels } from './model-cache.js';
export { describeRedis, redisOptions } from './redis.js';
export type { ShardRepository, StoredModelFiles } from './shard-repository.js';
export * from './types.js';
export { type ShardWorker, type ShardWorkerOptions, startShardWorker } from './worker.js';
