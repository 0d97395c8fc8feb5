-- AlterTable
ALTER TABLE "positions" ADD COLUMN     "exitsFrom" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "strategies" ADD COLUMN     "exits" JSONB NOT NULL DEFAULT '{}';

-- CreateIndex
CREATE INDEX "order_intents_createdAt_idx" ON "order_intents"("createdAt");
