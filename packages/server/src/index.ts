export * from './app.js'
export { type BootstrapResult, bootstrapIfEmpty } from './bootstrap.js'
export {
  adminRestApiUrlOf,
  ConfigError,
  type LoadConfigOptions,
  loadConfig,
  publicUrlOf,
} from './config/load.js'
export { type Config, ConfigSchema } from './config/schema.js'
export { writeKeyFile } from './key-file.js'
export { type RunningServer, type StartServerOptions, startServer } from './main.js'
export { type PskcOptions, readPskc } from './pskc/pskc.js'
export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js'
export { dataDirOf, sqlitePathOf } from './secret-key.js'
