export { loadConfig, SERVICE_NAMES, DEFAULT_PORTS, type Config, type DatabaseConfig, type GatewayConfig, type LiveConfig, type MonitorConfig, type QueueConfig, type ServiceName } from './config.js';
export { ConfigError, type Env, url as urlSetting } from './parse.js';
export { describeConfigError } from './report.js';
