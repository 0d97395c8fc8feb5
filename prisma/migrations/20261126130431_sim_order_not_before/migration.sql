-- AlterTable
ALTER TABLE "sim_orders" ADD COLUMN     "notBefore" TIMESTAMPTZ(3);
