-- AlterEnum
ALTER TYPE "IntentStatus" ADD VALUE 'FAILED';

-- AlterTable
ALTER TABLE "order_intents" ADD COLUMN     "exitReason" TEXT,
ADD COLUMN     "failCause" TEXT,
ADD COLUMN     "stopLoss" DECIMAL(20,6),
ADD COLUMN     "takeProfit" DECIMAL(20,6),
ADD COLUMN     "trailPct" DECIMAL(9,4);

-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "rejectCause" TEXT;

-- AlterTable
ALTER TABLE "positions" ADD COLUMN     "highWater" DECIMAL(20,6),
ADD COLUMN     "stopPrice" DECIMAL(20,6),
ADD COLUMN     "targetPrice" DECIMAL(20,6),
ADD COLUMN     "trailPct" DECIMAL(9,4);
