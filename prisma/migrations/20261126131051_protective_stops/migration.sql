-- AlterTable
ALTER TABLE "order_intents" ADD COLUMN     "orderType" TEXT NOT NULL DEFAULT 'market',
ADD COLUMN     "triggerSeenAt" TIMESTAMPTZ(3);
