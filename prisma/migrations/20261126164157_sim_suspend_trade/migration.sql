-- AlterTable
ALTER TABLE "sim_account" ADD COLUMN     "suspendTrade" BOOLEAN NOT NULL DEFAULT false;
