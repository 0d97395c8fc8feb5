// The driver-adapter factory the wasm schema engine migrates through: @prisma/adapter-pg 7.10.1 plus
// the recipe's two patches and our own shadow databases (prisma-offline.md, "Engine bootstrap").
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { type PgConfig, createDatabase, dropDatabase, poolConfig } from './database-url.ts';

// The patches go on each adapter instance rather than on the prototypes (as the recipe does) so
// that PrismaClients living in the same process, e.g. in integration tests, keep stock behaviour.

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
type IoResult = { fields?: { dataTypeID: number }[] } | undefined;
interface QueryableInternals {
  performIO(query: unknown): Promise<IoResult>;
}
interface AdapterInternals {
  client: { query(sql: string): Promise<unknown> };
  onError(error: unknown): never;
}

/** pg_catalog "char" (OID 18, used in catalog queries) is not deserializable; report it as text. */
function patchCharColumns(queryable: object): void {
  const target = queryable as unknown as QueryableInternals;
  const performIO = target.performIO;
  target.performIO = async function (this: QueryableInternals, query: unknown) {
    const result = await performIO.call(this, query);
    for (const field of result?.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  };
}

function patchAdapter(adapter: PgAdapter): PgAdapter {
  patchCharColumns(adapter);
  // Stock executeScript splits on every ';' (breaks comments, $$ bodies, and leaves half-applied
  // migrations). One simple-protocol query runs the script as a single implicit transaction.
  (adapter as unknown as { executeScript(sql: string): Promise<void> }).executeScript = async function (
    this: AdapterInternals,
    sql: string,
  ) {
    try {
      await this.client.query(sql);
    } catch (error) {
      this.onError(error);
    }
  };
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => {
    const tx = await startTransaction(isolationLevel);
    patchCharColumns(tx);
    return tx;
  };
  // The engine may dispose an adapter itself; we dispose all of them again at the end.
  const dispose = adapter.dispose.bind(adapter);
  let disposed: Promise<void> | undefined;
  adapter.dispose = () => (disposed ??= dispose());
  return adapter;
}

/**
 * Migration adapter factory: discrete pg settings (no connectionString, which would point the
 * shadow pool at the main database) and our own shadow databases, dropped after their pool closes
 * (the stock one drops first, fails with "being accessed by other users" and leaks the database).
 */
export class MigrateFactory extends PrismaPg {
  private readonly adapters: PgAdapter[] = [];

  constructor(private readonly cfg: PgConfig) {
    super(poolConfig(cfg));
  }

  override async connect(): Promise<PgAdapter> {
    const adapter = patchAdapter(await super.connect());
    this.adapters.push(adapter);
    return adapter;
  }

  override async connectToShadowDb(): Promise<PgAdapter> {
    const name = `prisma_shadow_${randomUUID().replaceAll('-', '')}`;
    await createDatabase(this.cfg, name);
    const adapter = await new PrismaPg(poolConfig({ ...this.cfg, database: name })).connect();
    const closePool = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      try {
        await closePool();
      } finally {
        await dropDatabase(this.cfg, name);
      }
    };
    const patched = patchAdapter(adapter);
    this.adapters.push(patched);
    return patched;
  }

  /** Ends every pool this factory handed out (engine.free() does not), so processes can exit. */
  async disposeAll(): Promise<void> {
    const adapters = this.adapters.splice(0);
    await Promise.all(adapters.map((adapter) => adapter.dispose().catch(() => {})));
  }
}
