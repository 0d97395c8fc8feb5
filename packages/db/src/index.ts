export { createPrisma, type Db } from './client.ts';
export { Prisma, PrismaClient } from './generated/prisma/client.ts';
export type * from './generated/prisma/models.ts';
export * from './generated/prisma/enums.ts';
export * from './pg-pool.ts';
export * from './partitions.ts';
export * from './bars/bulk-load.ts';
export * from './migration-check.ts';
