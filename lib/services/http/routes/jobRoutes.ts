import type { FastifyInstance } from 'fastify';

export interface JobRoutesOptions {
  admin: unknown;
}

export function registerJobRoutes(app: FastifyInstance, options: JobRoutesOptions): void {
  void app;
  void options;
}
