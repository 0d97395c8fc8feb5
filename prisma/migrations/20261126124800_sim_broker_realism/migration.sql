-- AlterTable
ALTER TABLE "sim_account" ADD COLUMN     "marketTs" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "sim_orders" ADD COLUMN     "refPrice" DECIMAL(20,6),
ADD COLUMN     "rejectCause" TEXT,
ADD COLUMN     "rejectReason" TEXT;

-- CreateTable
CREATE TABLE "sim_positions" (
    "symbol" TEXT NOT NULL,
    "qty" DECIMAL(18,6) NOT NULL,
    "avgCost" DECIMAL(20,6) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sim_positions_pkey" PRIMARY KEY ("symbol")
);

-- CreateIndex
CREATE INDEX "sim_executions_simOrderId_idx" ON "sim_executions"("simOrderId");

-- CreateIndex
CREATE INDEX "sim_executions_barTs_idx" ON "sim_executions"("barTs");

-- CreateIndex
CREATE INDEX "sim_executions_at_idx" ON "sim_executions"("at");

-- CreateIndex
CREATE INDEX "sim_orders_status_idx" ON "sim_orders"("status");

-- Backfill (hand-written): what the sim already holds, from its executions, so reconciliation does not see
-- drift after the upgrade. Quantity: buys minus sells. Average cost: of the buys since the position was last
-- flat (sells do not change it), as the sim computes it from now on.
WITH e AS (
  SELECT o.symbol, o.side, x.qty, x.price,
         row_number() OVER (PARTITION BY o.symbol ORDER BY x.at, x.id) AS k,
         sum(CASE WHEN o.side = 'BUY' THEN x.qty ELSE -x.qty END) OVER (PARTITION BY o.symbol ORDER BY x.at, x.id ROWS UNBOUNDED PRECEDING) AS run
    FROM "sim_executions" x JOIN "sim_orders" o ON o.id = x."simOrderId"
), flat AS (
  SELECT symbol, coalesce(max(k) FILTER (WHERE run = 0), 0) AS k FROM e GROUP BY symbol
)
INSERT INTO "sim_positions" ("symbol", "qty", "avgCost", "updatedAt")
SELECT e.symbol,
       sum(CASE WHEN e.side = 'BUY' THEN e.qty ELSE -e.qty END),
       coalesce(round(sum(e.qty * e.price) FILTER (WHERE e.side = 'BUY' AND e.k > flat.k)
                      / nullif(sum(e.qty) FILTER (WHERE e.side = 'BUY' AND e.k > flat.k), 0), 6), 0),
       now()
  FROM e JOIN flat USING (symbol)
 GROUP BY e.symbol
HAVING sum(CASE WHEN e.side = 'BUY' THEN e.qty ELSE -e.qty END) <> 0;

-- Refusals recorded before causes were: the generic cause.
UPDATE "sim_orders" SET "rejectCause" = 'rejected', "rejectReason" = 'rejected: refused by the simulated broker (before causes were recorded)'
 WHERE status = 'rejected' AND "rejectCause" IS NULL;
