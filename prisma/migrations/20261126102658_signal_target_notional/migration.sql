-- AlterTable
ALTER TABLE "signals" ADD COLUMN     "targetNotional" DECIMAL(20,2);
