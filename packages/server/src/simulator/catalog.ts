/**
 * The names and images the simulated cloud draws from, so a demo account reads like a real one:
 * stacks "web" and "billing", services "api" and "redis" running "redis:7", node clusters on
 * Docker Cloud's providers with their region and node type URIs.
 *
 * @example
 * CATALOG.stackNames[0]; // 'web'
 */
export interface ServiceTemplate {
  readonly name: string;
  readonly image: string;
  /** Typical container count when deployed. */
  readonly containers: readonly [min: number, max: number];
}

export interface ProviderTemplate {
  readonly provider: string;
  readonly regions: readonly string[];
  readonly nodeTypes: readonly { readonly name: string; readonly cpu: number; readonly memory: number }[];
}

export const CATALOG = {
  stackNames: [
    'web', 'billing', 'search', 'auth', 'payments', 'analytics', 'checkout', 'inventory', 'notifications',
    'reports', 'gateway', 'catalog', 'media', 'chat', 'ledger', 'shipping', 'accounts', 'metrics', 'blog',
    'admin', 'storefront', 'recommendations', 'mailer', 'scheduler', 'pricing', 'uploads', 'docs', 'status',
  ],
  services: [
    { name: 'api', image: 'acme/api:1.14.2', containers: [2, 4] },
    { name: 'web', image: 'acme/web:3.2.0', containers: [2, 3] },
    { name: 'worker', image: 'acme/worker:1.14.2', containers: [1, 4] },
    { name: 'redis', image: 'redis:7', containers: [1, 1] },
    { name: 'postgres', image: 'postgres:16', containers: [1, 1] },
    { name: 'nginx', image: 'nginx:1.27', containers: [1, 2] },
    { name: 'lb', image: 'dockercloud/haproxy:1.6.7', containers: [1, 2] },
    { name: 'memcached', image: 'memcached:1.6', containers: [1, 2] },
    { name: 'rabbitmq', image: 'rabbitmq:3-management', containers: [1, 1] },
    { name: 'cron', image: 'acme/cron:0.9.1', containers: [1, 1] },
    { name: 'elasticsearch', image: 'elasticsearch:8.15.0', containers: [1, 3] },
    { name: 'mongo', image: 'mongo:7', containers: [1, 1] },
    { name: 'scheduler', image: 'acme/scheduler:2.0.3', containers: [1, 1] },
    { name: 'frontend', image: 'acme/frontend:5.1.0', containers: [2, 3] },
  ] satisfies readonly ServiceTemplate[],
  nodeClusterNames: ['production', 'staging', 'batch', 'edge', 'builds', 'eu-west', 'us-east', 'internal'],
  providers: [
    {
      provider: 'aws',
      regions: ['us-east-1', 'eu-west-1', 'ap-southeast-1'],
      nodeTypes: [
        { name: 't2.medium', cpu: 2, memory: 4096 },
        { name: 'm4.large', cpu: 2, memory: 8192 },
        { name: 'm4.xlarge', cpu: 4, memory: 16384 },
      ],
    },
    {
      provider: 'digitalocean',
      regions: ['lon1', 'nyc3', 'fra1', 'sfo2'],
      nodeTypes: [
        { name: '2gb', cpu: 2, memory: 2048 },
        { name: '4gb', cpu: 2, memory: 4096 },
        { name: '8gb', cpu: 4, memory: 8192 },
      ],
    },
    {
      provider: 'azure',
      regions: ['west-europe', 'east-us'],
      nodeTypes: [
        { name: 'Standard_D1', cpu: 1, memory: 3584 },
        { name: 'Standard_D2', cpu: 2, memory: 7168 },
      ],
    },
  ] satisfies readonly ProviderTemplate[],
  dockerVersions: ['1.11.2-cs5', '1.12.6-cs8', '1.13.1-cs2'],
  /** Teammates and robots that run the background operations. */
  users: ['ci-bot', 'deploy-bot', 'alice', 'bob'],
  /** Exit codes of a crashing container: error, SIGKILL (OOM), SIGSEGV, SIGTERM, misuse. */
  crashExitCodes: [1, 137, 139, 143, 2],
} as const;
